"""The Cranfield collection in tests/fixtures/cranfield, read for the benchmarks."""

from __future__ import annotations

from pathlib import Path

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
