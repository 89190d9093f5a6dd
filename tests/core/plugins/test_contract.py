"""The component contract holds: abstract methods, the config as generic parameter, and
``build_registry`` refusing malformed classes with an error naming the package."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from llamafarm_core.components import Embedder, Extractor, Parser, ParserConfig, PluginConfig, PluginKind
from llamafarm_core.components.retrieval import RetrievalStrategy
from llamafarm_core.documents import ParseResult, SourceFile
from llamafarm_core.errors import PluginError
from llamafarm_core.plugins import build_registry, get_plugin_manager, hookimpl
from llamafarm_core.plugins.registry import Registry


class LoudConfig(ParserConfig):
    loud: bool = False


class LoudParser(Parser[LoudConfig]):
    name = "loud"

    def parse(self, source: SourceFile) -> ParseResult:
        return ParseResult([])


class NoParse(Parser):
    name = "no-parse"


class Nameless(Parser):
    def parse(self, source: SourceFile) -> ParseResult:
        return ParseResult([])


class NotParserConfig(PluginConfig):
    x: int = 1


class WrongConfigKind(Parser):
    name = "wrong-kind"
    Config = NotParserConfig  # type: ignore[assignment]

    def parse(self, source: SourceFile) -> ParseResult:
        return ParseResult([])


class NotAModel(Parser):
    name = "not-a-model"
    Config = dict  # type: ignore[assignment]

    def parse(self, source: SourceFile) -> ParseResult:
        return ParseResult([])


class Mismatched(Parser[LoudConfig]):
    name = "mismatched"
    Config = ParserConfig

    def parse(self, source: SourceFile) -> ParseResult:
        return ParseResult([])


def registry_of(*classes: type, package: str = "acme-parsers") -> Registry:
    @hookimpl
    def register_parsers() -> list[type]:
        return list(classes)

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(SimpleNamespace(register_parsers=register_parsers), name=package)
    return build_registry(pm)


def test_the_generic_parameter_is_the_config_model() -> None:
    assert LoudParser.Config is LoudConfig
    reg = registry_of(LoudParser)
    parser = reg.build(PluginKind.PARSER, "loud", {"loud": True, "chunk_size": 500})
    assert isinstance(parser, LoudParser)
    assert parser.config.loud is True and parser.config.chunk_size == 500
    with pytest.raises(PluginError, match=r"config\.lound: unknown key"):
        reg.build(PluginKind.PARSER, "loud", {"lound": True})


def test_a_parser_without_parse_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match="abstract"):
        NoParse(ParserConfig())  # type: ignore[abstract]


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (NoParse, r"parser .*NoParse does not implement the abstract method\(s\) parse"),
        (Nameless, r"Nameless has no 'name'"),
        (WrongConfigKind, r"Config .*NotParserConfig.* is not a subclass of ParserConfig"),
        (NotAModel, r"Config <class 'dict'> is not a subclass of ParserConfig"),
        (Mismatched, r"Config ParserConfig is not the generic parameter LoudConfig"),
    ],
)
def test_malformed_classes_are_refused_naming_the_package(cls: type, message: str) -> None:
    with pytest.raises(PluginError, match=message) as err:
        registry_of(LoudParser, cls)
    assert err.value.message.startswith("acme-parsers: ")


def test_capabilities_are_declared_on_the_base_classes() -> None:
    assert RetrievalStrategy.hybrid_alpha_mode == "wrap"
    assert Embedder.Config.model_fields["batch_size"].default == 32
    assert Extractor.Config is PluginConfig


def test_every_installed_component_is_concrete_and_typed(registry: Registry) -> None:
    """The built-ins pass the same checks (build_registry ran them) and each has its own
    name; their configs are models of their kind's base config."""
    for info in registry.plugins():
        assert issubclass(info.cls.Config, info.kind.base_class.Config), info.name
        assert not getattr(info.cls, "__abstractmethods__", None), info.name
