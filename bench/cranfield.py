"""The Cranfield collection in tests/fixtures/cranfield, read for the benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EVAL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cranfield"
CRAN = EVAL / "cran.all.1400"
QRY = EVAL / "cran.qry"
QRELS = EVAL / "cranqrel"


def read_docs(path: Path = CRAN) -> list[tuple[str, str]]:
    """(id, .W text) of every record of a Cranfield file (documents or queries), in order.

    The ``.W`` field of a document includes its title; ids are the ``.I`` numbers as given
    (for queries these are NOT the ids cranqrel uses: it numbers queries by position).
    """
    records: list[tuple[str, str]] = []
    rec_id, field, lines = None, None, []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() + [".I end"]:
        if line.startswith(".I "):
            if rec_id is not None:
                records.append((rec_id, "\n".join(lines).strip()))
            rec_id, field, lines = line[3:].strip(), None, []
        elif line[:2] in (".T", ".A", ".B", ".W") and line.strip() == line[:2]:
            field = line[:2]
        elif field == ".W":
            lines.append(line)
    return records


def doc_texts(path: Path = CRAN) -> list[str]:
    """Just the texts, in document order."""
    return [text for _, text in read_docs(path)]


def rag_dataset(limit: int | None = None, project: str = "cranfield") -> tuple[Any, Any, Any, Any]:
    """A ``rag``-template project ``bench/{project}`` under ``LF_DATA_DIR`` whose dataset
    ``docs`` holds the first ``limit`` abstracts as ``cran_{id}.txt`` (core API, this process).
    Returns (settings, registry, projects, ref)."""
    from llamafarm_core.datasets import DatasetStore
    from llamafarm_core.ingest import pipeline
    from llamafarm_core.projects import ProjectRef, ProjectStore
    from llamafarm_core.settings import Settings

    settings = Settings.from_env()
    registry = pipeline.default_registry()
    projects = ProjectStore(settings, registry)
    ref = ProjectRef("bench", project)
    projects.create(ref, "rag")
    datasets = DatasetStore(settings, projects, registry)
    datasets.create(ref, "docs", "universal_processor", "main_db")
    uploads = []
    for doc_id, text in read_docs()[: limit or None]:
        writer = datasets.writer(ref)
        writer.write(text.encode())
        uploads.append(datasets.store_upload(ref, writer, f"cran_{doc_id}.txt", "text/plain"))
    datasets.add_members(ref, "docs", uploads)
    return settings, registry, projects, ref
