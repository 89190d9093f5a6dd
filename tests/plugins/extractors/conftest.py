"""Fixtures for the extractor tests: extractors built through the registry, real sample text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.components.extractor import Extractor
from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.documents import Chunk, SourceFile
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.extractors import make_chunks

Build = Callable[..., Extractor]
Run = Callable[..., list[Chunk]]

FDA_TEXT = """\
FDA Approves New Treatment for Type 2 Diabetes

SILVER SPRING, Md. -- On March 5, 2024, the U.S. Food and Drug Administration (FDA) approved
a new once-weekly injection for adults with type 2 diabetes. Dr. Jane Smith, director of the
Center for Drug Evaluation and Research, said the approval followed two clinical trials in
which patients lowered their blood sugar by 1.5 percent on average.

Acme Pharmaceuticals Inc. expects sales of $3.2 million in the first year. Questions from the
press may be sent to jane.doe@fda.gov or by phone to (301) 555-0100 before 5:00 pm.
More information is available at https://www.fda.gov/drugs/new-drugs.
"""

AERO_TEXT = """\
The boundary layer on a flat plate at zero incidence was studied in a wind tunnel.
Measurements of the boundary layer show that transition from laminar to turbulent flow
depends on the Reynolds number and on the pressure gradient. In a favourable pressure
gradient the boundary layer remains laminar over a longer distance, while an adverse
pressure gradient thickens the boundary layer and may cause separation. Skin friction and
heat transfer in the boundary layer were measured at Mach numbers up to 3.
"""


@pytest.fixture
def build(registry: Registry) -> Build:
    """``build("rake", max_keywords=5)``: an extractor from its YAML type and config."""

    def _build(type_name: str, **config: Any) -> Extractor:
        extractor = registry.build(PluginKind.EXTRACTOR, type_name, config)
        assert isinstance(extractor, Extractor)
        return extractor

    return _build


@pytest.fixture
def source(tmp_path: Path) -> SourceFile:
    return SourceFile("a" * 64, "reports/2024/fda-news.txt", tmp_path / "missing", 2048, "text/plain")


@pytest.fixture
def run(build: Build, source: SourceFile) -> Run:
    """``run("rake", ["text", ...], max_keywords=5)``: the chunks after extraction."""

    def _run(type_name: str, texts: list[str], **config: Any) -> list[Chunk]:
        chunks = make_chunks(texts, source.file_hash, source.filename)
        build(type_name, **config).extract(chunks, source)
        return chunks

    return _run


@pytest.fixture
def one(run: Run) -> Callable[..., dict[str, Any]]:
    """``one("links", "text")``: the metadata of a single chunk."""

    def _one(type_name: str, text: str, **config: Any) -> dict[str, Any]:
        return run(type_name, [text], **config)[0].metadata

    return _one


@pytest.fixture
def fda_text() -> str:
    """A press-release style text: organisations, people, dates, money, contacts, a URL."""
    return FDA_TEXT


@pytest.fixture
def aero_text() -> str:
    """A Cranfield-style aerodynamics paragraph."""
    return AERO_TEXT
