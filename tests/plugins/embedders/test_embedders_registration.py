"""The embedders plugin registers through the entry point and imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.plugins.registry import Registry

CHECK = """
import sys
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.components.kinds import PluginKind
registry = build_registry(get_plugin_manager())
assert registry.known_names(PluginKind.EMBEDDER)
heavy = sorted(m for m in ("torch", "sentence_transformers", "openai", "ollama", "transformers") if m in sys.modules)
print(",".join(heavy))
"""


def test_every_builtin_embedder_is_registered(registry: Registry) -> None:
    names = set(registry.known_names(PluginKind.EMBEDDER))
    assert {
        "sentence_transformers",
        "SentenceTransformerEmbedder",
        "HuggingFaceEmbedder",
        "ollama",
        "OllamaEmbedder",
        "openai",
        "OpenAIEmbedder",
        "universal",
        "UniversalEmbedder",
    } <= names
    packages = {p.package for p in registry.plugins(PluginKind.EMBEDDER) if p.name in names}
    assert packages == {"llamafarm"}


def test_building_the_registry_imports_no_heavy_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == ""


def test_every_embedder_exposes_a_config_schema(registry: Registry) -> None:
    for info in registry.plugins(PluginKind.EMBEDDER):
        schema = info.describe()["config_schema"]
        assert "batch_size" in schema["properties"], info.name
