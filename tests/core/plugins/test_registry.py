"""The plugin manager and registry: discovery, names and aliases, config validation."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pluggy import PluginValidationError

from llamafarm_core.components import Parser, ParserConfig, PluginKind
from llamafarm_core.documents import ParseResult, SourceFile
from llamafarm_core.errors import PluginError
from llamafarm_core.plugins import build_registry, get_plugin_manager, hookimpl
from llamafarm_core.plugins.registry import Registry


class EchoConfig(ParserConfig):
    shout: bool = False


class EchoParser(Parser):
    name = "echo"
    aliases = ("EchoParser_Python",)
    Config = EchoConfig
    ignored_keys = frozenset({"legacy_option"})

    def parse(self, source: SourceFile) -> ParseResult:
        return ParseResult([])


class OtherEcho(EchoParser):
    name = "other"
    aliases = ("EchoParser_Python",)


def plugin(*classes: type) -> SimpleNamespace:
    @hookimpl
    def register_parsers() -> list[type]:
        return list(classes)

    return SimpleNamespace(register_parsers=register_parsers)


def registry_of(*plugins: object) -> Registry:
    return build_registry(get_plugin_manager(load_entrypoints=False, extra_plugins=plugins))


def test_lookup_by_name_and_alias() -> None:
    reg = registry_of(plugin(EchoParser))
    assert reg.get(PluginKind.PARSER, "echo").cls is EchoParser
    assert reg.get(PluginKind.PARSER, "EchoParser_Python").cls is EchoParser


def test_duplicate_alias_fails_at_build_naming_both() -> None:
    with pytest.raises(PluginError, match="duplicate parser name 'EchoParser_Python'") as err:
        registry_of(plugin(EchoParser), plugin(OtherEcho))
    assert "EchoParser" in err.value.message and "OtherEcho" in err.value.message


def test_unknown_type_lists_known_types() -> None:
    reg = registry_of(plugin(EchoParser))
    with pytest.raises(PluginError) as err:
        reg.get(PluginKind.PARSER, "Ech0", where="rag.data_processing_strategies[0].parsers[0].type")
    message = err.value.message
    assert message.startswith("rag.data_processing_strategies[0].parsers[0].type: unknown parser type 'Ech0'")
    assert "EchoParser_Python" in message and "echo" in message


def test_misspelled_hook_is_caught() -> None:
    @hookimpl
    def register_parser() -> list[type]:  # missing the "s"
        return []

    with pytest.raises(PluginValidationError):
        get_plugin_manager(
            load_entrypoints=False, extra_plugins=[SimpleNamespace(register_parser=register_parser)]
        )


def test_hook_returning_a_non_component_fails() -> None:
    with pytest.raises(PluginError, match="not a Parser"):
        registry_of(plugin(dict))


def test_config_validation_names_the_path_and_reports_ignored_keys() -> None:
    reg = registry_of(plugin(EchoParser))
    built = reg.validate_config(
        PluginKind.PARSER, "echo", {"shout": True, "legacy_option": 1}, where="x.config"
    )
    assert built.config.shout is True  # type: ignore[attr-defined]
    assert built.warnings == ["x.config.legacy_option: accepted for compatibility, ignored by echo"]
    with pytest.raises(PluginError, match=r"x\.config\.shuot: unknown key"):
        reg.validate_config(PluginKind.PARSER, "echo", {"shuot": True}, where="x.config")
    with pytest.raises(PluginError, match=r"x\.config: chunk_overlap \(500\) must be smaller"):
        reg.validate_config(
            PluginKind.PARSER, "echo", {"chunk_size": 100, "chunk_overlap": 500}, where="x.config"
        )


def test_build_expands_environment_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHO_SIZE", "321")
    parser = registry_of(plugin(EchoParser)).build(PluginKind.PARSER, "echo", {"chunk_size": "${ECHO_SIZE}"})
    assert parser.config.chunk_size == 321  # type: ignore[attr-defined]


def test_build_as_narrows_or_names_the_mismatch() -> None:
    reg = registry_of(plugin(EchoParser))
    parser = reg.build_as(PluginKind.PARSER, EchoParser, "echo", {"shout": True})
    assert type(parser) is EchoParser and parser.config.shout is True
    with pytest.raises(PluginError, match=r"^x\.config: built a EchoParser, not a OtherEcho$"):
        reg.build_as(PluginKind.PARSER, OtherEcho, "echo", {}, where="x.config")


def test_nothing_is_loaded_at_import() -> None:
    """Importing the plugin packages must not import heavy libraries."""
    import subprocess
    import sys

    code = (
        "import sys, llamafarm_core.plugins as p; pm = p.get_plugin_manager(); p.build_registry(pm); "
        "heavy = [m for m in ('torch', 'chromadb', 'llama_cpp', 'qdrant_client', 'sentence_transformers', 'openai') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_installed_registry_describes_every_plugin(registry: Registry) -> None:
    for info in registry.plugins():
        described = info.describe()
        assert described["name"] == info.name
        assert described["config_schema"]["type"] == "object"
