"""The stores plugin registers through the entry point and imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.plugins.registry import Registry

CHECK = """
import sys
from pathlib import Path
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_core.components.kinds import PluginKind
registry = build_registry(get_plugin_manager())
for name in ("chroma", "qdrant"):
    registry.build(PluginKind.VECTOR_STORE, name, {}, path=Path("/nonexistent/db"), collection="main")
print(",".join(sorted(m for m in ("chromadb", "qdrant_client", "torch") if m in sys.modules)))
"""


def test_builtin_stores_are_registered(registry: Registry) -> None:
    assert {"chroma", "ChromaStore", "qdrant", "QdrantStore"} <= set(
        registry.known_names(PluginKind.VECTOR_STORE)
    )


def test_constructing_a_store_imports_no_database_library_and_touches_no_disk() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == ""
