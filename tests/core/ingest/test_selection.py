"""Choosing parsers and extractors for a file: patterns, extensions, exclusions, priority order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.models import DataProcessingStrategy
from llamafarm_core.ingest.selection import (
    EXTENSION_PARSERS,
    base_name,
    builtin_parser_type,
    extension,
    matching_extractors,
    matching_parsers,
)
from llamafarm_core.plugins.registry import Registry
from tests.conftest import FIXTURES

COMPAT = FIXTURES / "compat"


def strategy(
    parsers: list[dict[str, Any]], extractors: list[dict[str, Any]] | None = None
) -> DataProcessingStrategy:
    return DataProcessingStrategy.model_validate(
        {"name": "s", "parsers": parsers, "extractors": extractors or []}
    )


def types(refs: list[Any]) -> list[str]:
    return [r.type for r in refs]


def test_higher_priority_first_and_ties_keep_file_order(registry: Registry) -> None:
    s = strategy(
        [
            {"type": "PDFParser_PyPDF2", "file_include_patterns": ["*.pdf"], "priority": 50},
            {"type": "text", "file_include_patterns": ["*"], "priority": 10},
            {"type": "PDFParser_LlamaIndex", "file_include_patterns": ["*.pdf"], "priority": 100},
            {"type": "auto", "file_include_patterns": ["*.pdf"], "priority": 50},
        ]
    )
    assert types(matching_parsers(s, "report.pdf", registry)) == [
        "PDFParser_LlamaIndex",
        "PDFParser_PyPDF2",
        "auto",
        "text",
    ]


def test_patterns_are_case_insensitive_and_match_the_base_name(registry: Registry) -> None:
    s = strategy([{"type": "pdf", "file_include_patterns": ["*.pdf"]}])
    assert types(matching_parsers(s, "REPORT.PDF", registry)) == ["pdf"]
    assert types(matching_parsers(s, "../../secret/dir/x.Pdf", registry)) == ["pdf"]
    assert matching_parsers(s, "report.pdf.txt", registry) == []


def test_file_extensions_match_with_or_without_the_dot(registry: Registry) -> None:
    s = strategy([{"type": "csv", "file_extensions": ["tsv", ".CSV"]}])
    assert types(matching_parsers(s, "a.csv", registry)) == ["csv"]
    assert types(matching_parsers(s, "b.TSV", registry)) == ["csv"]
    assert matching_parsers(s, "c.xlsx", registry) == []


def test_include_patterns_or_extensions_either_admits(registry: Registry) -> None:
    s = strategy([{"type": "text", "file_include_patterns": ["notes_*"], "file_extensions": [".log"]}])
    assert matching_parsers(s, "notes_1.md", registry)
    assert matching_parsers(s, "server.log", registry)
    assert not matching_parsers(s, "other.md", registry)


def test_exclusions_win(registry: Registry) -> None:
    s = strategy(
        [{"type": "text", "file_include_patterns": ["*"], "file_exclude_patterns": ["*.tmp", "draft_*"]}]
    )
    assert matching_parsers(s, "a.txt", registry)
    assert not matching_parsers(s, "a.TMP", registry)
    assert not matching_parsers(s, "draft_plan.txt", registry)


def test_a_ref_without_patterns_takes_its_class_extensions(registry: Registry) -> None:
    s = strategy(
        [{"type": "PDFParser_PyPDF2"}, {"type": "CSVParser_Pandas"}, {"type": "auto", "priority": 1}]
    )
    assert types(matching_parsers(s, "a.pdf", registry)) == ["PDFParser_PyPDF2", "auto"]
    assert types(matching_parsers(s, "a.tsv", registry)) == ["CSVParser_Pandas", "auto"]
    assert types(matching_parsers(s, "a.md", registry)) == ["auto"]
    assert matching_parsers(s, "a.unknownext", registry) == []
    assert matching_parsers(s, "Makefile", registry) == []


def test_extractors_default_to_every_file_and_sort_by_priority() -> None:
    s = strategy(
        [],
        [
            {"type": "KeywordExtractor", "priority": 10},
            {"type": "EntityExtractor", "file_include_patterns": ["*.pdf"], "priority": 90},
            {"type": "PathExtractor", "file_exclude_patterns": ["*.csv"]},
            {"type": "ContentStatisticsExtractor", "file_include_patterns": ["*"], "priority": 100},
        ],
    )
    assert types(matching_extractors(s, "x.pdf")) == [
        "ContentStatisticsExtractor",
        "EntityExtractor",
        "PathExtractor",
        "KeywordExtractor",
    ]
    assert types(matching_extractors(s, "x.csv")) == ["ContentStatisticsExtractor", "KeywordExtractor"]


@pytest.mark.parametrize(
    ("name", "base", "ext"),
    [
        ("../../etc/passwd.txt", "passwd.txt", ".txt"),
        ("C:\\Users\\me\\Report.PDF", "Report.PDF", ".pdf"),
        (".bashrc", ".bashrc", ""),
        ("archive.tar.gz", "archive.tar.gz", ".gz"),
        ("noext", "noext", ""),
        ("trailing.", "trailing.", ""),
    ],
)
def test_base_name_and_extension(name: str, base: str, ext: str) -> None:
    assert base_name(name) == base
    assert extension(name) == ext


def test_builtin_parser_type_by_extension() -> None:
    assert builtin_parser_type("a/b/Report.PDF") == "pdf"
    assert builtin_parser_type("x.jsonl") == "json"
    assert builtin_parser_type("main.rs") == "code"
    assert builtin_parser_type("notes.txt") == "text"
    assert builtin_parser_type("x.unknown") is None


def test_extension_table_agrees_with_the_parser_classes(registry: Registry) -> None:
    for ext, type_name in EXTENSION_PARSERS.items():
        cls = registry.get(PluginKind.PARSER, type_name).cls
        assert ext in getattr(cls, "extensions", ()), f"{type_name} does not declare {ext}"
    auto = registry.get(PluginKind.PARSER, "auto").cls
    for info in registry.plugins(PluginKind.PARSER):
        if info.package == registry.get(PluginKind.PARSER, "auto").package:
            assert set(getattr(info.cls, "extensions", ())) <= set(getattr(auto, "extensions", ()))


@pytest.mark.parametrize("path", sorted(COMPAT.glob("*.yaml")), ids=lambda p: p.name)
def test_compat_configs_pick_the_parsers_their_comments_intend(path: Path, registry: Registry) -> None:
    config = yaml.safe_load(path.read_text())
    for raw in config["rag"]["data_processing_strategies"]:
        s = DataProcessingStrategy.model_validate(raw)
        pdf = types(matching_parsers(s, "Label.PDF", registry))
        if pdf:
            assert pdf[0] == "PDFParser_LlamaIndex"  # priority 100/120 before PyPDF2 at 50
        if any(p.type == "TextParser_Python" for p in s.parsers):
            assert types(matching_parsers(s, "page.html", registry)) == ["TextParser_Python"]
