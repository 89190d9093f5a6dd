"""All built-in extractors are registered under their names and the original's class names,
and every extractor config in the original example projects validates unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import PluginError
from tests.conftest import FIXTURES

COMPAT = FIXTURES / "compat"

NAMES = {
    "statistics": "ContentStatisticsExtractor",
    "entities": "EntityExtractor",
    "keywords": "KeywordExtractor",
    "rake": "RAKEExtractor",
    "yake": "YAKEExtractor",
    "tfidf": "TFIDFExtractor",
    "datetime": "DateTimeExtractor",
    "headings": "HeadingExtractor",
    "links": "LinkExtractor",
    "patterns": "PatternExtractor",
    "summary": "SummaryExtractor",
    "tables": "TableExtractor",
    "path": "PathExtractor",
}


def compat_extractors() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(COMPAT.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for i, strategy in enumerate(data["rag"]["data_processing_strategies"]):
            for j, ext in enumerate(strategy.get("extractors") or []):
                out.append((f"{path.stem}.rag.data_processing_strategies[{i}].extractors[{j}]", ext))
    return out


@pytest.mark.parametrize(("name", "alias"), sorted(NAMES.items()))
def test_registered_by_name_and_original_alias(registry, name, alias):
    by_name = registry.get(PluginKind.EXTRACTOR, name)
    assert registry.get(PluginKind.EXTRACTOR, alias) is by_name
    assert by_name.cls.__name__ == alias
    assert by_name.package == "llamafarm"


def test_schemas_are_json(registry):
    for info in registry.plugins(PluginKind.EXTRACTOR):
        if info.name in NAMES:
            schema = info.describe()["config_schema"]
            assert schema["additionalProperties"] is False
            json.dumps(schema)


def test_compat_configs_are_found():
    found = compat_extractors()
    assert len(found) >= 6
    assert {ext["type"] for _, ext in found} >= {
        "ContentStatisticsExtractor",
        "EntityExtractor",
        "HeadingExtractor",
    }


@pytest.mark.parametrize(("where", "ext"), compat_extractors(), ids=lambda v: v if isinstance(v, str) else "")
def test_compat_extractor_configs_validate_without_warnings(registry, source, where, ext):
    built = registry.validate_config(
        PluginKind.EXTRACTOR, ext["type"], ext.get("config"), where=f"{where}.config"
    )
    assert built.warnings == []
    extractor = registry.build(PluginKind.EXTRACTOR, ext["type"], ext.get("config"))
    from llamafarm_core.testing.extractors import make_chunks

    chunks = make_chunks(["# Title\n\nThe Food and Drug Administration met on March 5, 2024."])
    extractor.extract(chunks, source)
    assert len(chunks[0].metadata) > 4


def test_typo_is_an_error_with_its_path(registry):
    with pytest.raises(PluginError, match=r"x\.config\.include_readabilty: unknown key"):
        registry.validate_config(
            PluginKind.EXTRACTOR, "statistics", {"include_readabilty": True}, where="x.config"
        )


def test_wrong_type_is_an_error_with_its_path(registry):
    with pytest.raises(PluginError, match=r"x\.config\.max_level"):
        registry.validate_config(PluginKind.EXTRACTOR, "headings", {"max_level": "deep"}, where="x.config")


def test_importing_and_registering_stays_light():
    code = (
        "import sys, llamafarm_extractors as m; m.register_extractors(); "
        "heavy = {'torch', 'spacy', 'sentence_transformers', 'chromadb', 'numpy'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
