"""All built-in parsers are registered under their names and the original's, and every
parser config key of the compat configs and templates validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.config.loader import parse_config
from llamafarm_core.errors import PluginError
from llamafarm_core.plugins.registry import Registry
from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[3]
COMPAT = sorted((FIXTURES / "compat").glob("*.yaml"))

NAMES = {
    "text": ["TextParser_Python", "TextParser_LlamaIndex"],
    "markdown": ["MarkdownParser_Python", "MarkdownParser_LlamaIndex"],
    "pdf": ["PDFParser_PyPDF2", "PDFParser_LlamaIndex"],
    "docx": ["DocxParser_PythonDocx", "DocxParser_LlamaIndex"],
    "csv": ["CSVParser_Python", "CSVParser_Pandas", "CSVParser_LlamaIndex"],
    "xlsx": ["ExcelParser_OpenPyXL", "ExcelParser_Pandas"],
    "html": ["HTMLParser", "HTMLParser_BeautifulSoup"],
    "json": ["JSONParser"],
    "code": ["CodeParser"],
    "msg": ["MsgParser_ExtractMsg"],
    "auto": ["DirectoryParser"],
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_names_and_aliases(registry: Registry, name: str) -> None:
    info = registry.get(PluginKind.PARSER, name)
    assert info.name == name
    for alias in NAMES[name]:
        assert registry.get(PluginKind.PARSER, alias).cls is info.cls
    assert info.cls.config_schema()["properties"]["chunk_size"]


def parser_refs(path: Path) -> list[tuple[str, dict, str]]:
    """(type, config, where) of every parser in a config file (after full config parsing)."""
    config = parse_config(yaml.safe_load(path.read_text()))
    assert config.rag is not None
    return [
        (p.type, p.config, f"rag.data_processing_strategies[{i}].parsers[{j}].config")
        for i, s in enumerate(config.rag.data_processing_strategies)
        for j, p in enumerate(s.parsers)
    ]


@pytest.mark.parametrize("path", COMPAT, ids=lambda p: p.name)
def test_compat_parser_configs_validate(registry: Registry, path: Path) -> None:
    refs = parser_refs(path)
    assert refs
    for type_name, raw, where in refs:
        built = registry.validate_config(PluginKind.PARSER, type_name, raw, where=where)
        info = registry.get(PluginKind.PARSER, type_name)
        ignored = sorted(set(raw) & info.cls.ignored_keys)
        assert built.warnings == [
            f"{where}.{k}: accepted for compatibility, ignored by {info.name}" for k in ignored
        ]


def test_gov_config_extract_tables_is_accepted_with_a_warning(registry: Registry) -> None:
    path = next(p for p in COMPAT if p.name == "gov_rag.yaml")
    warnings = [
        w
        for type_name, raw, where in parser_refs(path)
        for w in registry.validate_config(PluginKind.PARSER, type_name, raw, where=where).warnings
    ]
    assert warnings == [
        "rag.data_processing_strategies[0].parsers[0].config.extract_tables: accepted for compatibility, ignored by pdf"
    ]


def test_server_templates_validate(registry: Registry) -> None:
    for template in (REPO / "llamafarm_core" / "config" / "templates").glob("*.yaml"):
        raw = yaml.safe_load(template.read_text().replace("{{", "").replace("}}", ""))
        if not isinstance(raw, dict) or "rag" not in raw:
            continue
        strategies = raw["rag"].get("data_processing_strategies", [])
        for s in strategies:
            for p in s["parsers"]:
                registry.validate_config(PluginKind.PARSER, p["type"], p.get("config"))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 100, "chunk_overlap": 100}, "chunk_overlap"),
        ({"chunk_strategy": "vibes"}, "unknown chunk_strategy 'vibes'"),
        ({"extract_everything": True}, "extract_everything: unknown key"),
        ({"encoding": "no-such-codec"}, "unknown encoding"),
    ],
)
def test_bad_parser_config_is_a_plugin_error(registry: Registry, config: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        registry.validate_config(PluginKind.PARSER, "PDFParser_PyPDF2", config)


def test_original_strategy_names_validate_on_every_parser(registry: Registry) -> None:
    for info in registry.plugins(PluginKind.PARSER):
        if info.package != registry.get(PluginKind.PARSER, "pdf").package:
            continue
        for strategy in ("semantic", "tokens", "pages", "rows", "full", "email_sections", "headings"):
            registry.validate_config(PluginKind.PARSER, info.name, {"chunk_strategy": strategy})
