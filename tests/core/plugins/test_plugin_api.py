"""``llamafarm_core.plugin_api`` is the only core module plugins import, and it is documented."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from llamafarm_core import plugin_api

ROOT = Path(__file__).resolve().parents[3]
PLUGIN_SOURCES = [
    *sorted((ROOT / "plugins").rglob("*.py")),
    *sorted((ROOT / "tests" / "plugins" / "external").glob("*/src/**/*.py")),
]
DOC = ROOT / "docs" / "plugins.md"


def core_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a ``llamafarm_core`` module in ``path``, at any depth
    (inside functions and ``TYPE_CHECKING`` blocks too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if node.module == "llamafarm_core":
                found += [(node.lineno, m) for m in modules[1:]]
            elif node.module.startswith("llamafarm_core."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "llamafarm_core"]
    return found


def test_plugins_import_only_the_plugin_api() -> None:
    assert len(PLUGIN_SOURCES) > 50  # the built-ins and the external example were found
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in PLUGIN_SOURCES
        for line, module in core_imports(path)
        if module != "llamafarm_core.plugin_api"
    ]
    assert not wrong, "plugins must import from llamafarm_core.plugin_api only:\n" + "\n".join(wrong)


def test_the_scan_sees_every_form_of_import(tmp_path: Path) -> None:
    source = tmp_path / "p.py"
    source.write_text(
        "from llamafarm_core.plugin_api import Parser\n"
        "from llamafarm_core import egress\n"
        "import llamafarm_core.documents\n"
        "def f():\n    from llamafarm_core.chat.trim import AnswerTrimmer\n"
    )
    assert [m for _, m in core_imports(source)] == [
        "llamafarm_core.plugin_api",
        "llamafarm_core.egress",
        "llamafarm_core.documents",
        "llamafarm_core.chat.trim",
    ]


def test_every_exported_name_exists_and_is_documented() -> None:
    text = DOC.read_text()
    assert "llamafarm_core.plugin_api" in text
    missing = [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)]
    assert not missing
    undocumented = [name for name in plugin_api.__all__ if f"`{name}`" not in text]
    assert not undocumented, f"docs/plugins.md does not mention {undocumented}"


def test_importing_the_plugin_api_loads_no_heavy_library() -> None:
    code = (
        "import sys, llamafarm_core.plugin_api; "
        "print(','.join(m for m in ('torch', 'chromadb', 'llama_cpp', 'qdrant_client', "
        "'sentence_transformers', 'openai', 'ollama') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
