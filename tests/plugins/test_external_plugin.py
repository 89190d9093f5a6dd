"""A separately packaged plugin, installed with pip, is found without any change to core."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN_SRC = Path(__file__).parent / "external" / "llamafarm-shout-parser"

PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from llamafarm_core.components.kinds import PluginKind
    from llamafarm_core.config.loader import parse_config
    from llamafarm_core.plugins.validation import validate_components
    from llamafarm_core.documents import SourceFile
    from llamafarm_core.plugins import build_registry, get_plugin_manager

    registry = build_registry(get_plugin_manager())
    config = parse_config({
        "version": "v1", "name": "p", "namespace": "n",
        "runtime": {"models": [{"name": "m", "provider": "llamacpp", "model": "gemma3-270m"}]},
        "rag": {"data_processing_strategies": [{"name": "loud", "parsers": [
            {"type": "ShoutParser_Loud", "config": {"exclamations": 2}}]}]},
    })
    warnings = validate_components(config, registry)
    ref = config.rag.data_processing_strategies[0].parsers[0]
    parser = registry.build(PluginKind.PARSER, ref.type, ref.config)
    path = Path(sys.argv[1])
    result = parser.parse(SourceFile("0" * 64, "greeting.shout", path, path.stat().st_size))
    info = registry.get(PluginKind.PARSER, "shout")
    print(json.dumps({"package": info.package, "chunks": [c.text for c in result.chunks], "warnings": warnings}))
    """
)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip-install the plugin package (not editable, no network) into its own site dir."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN_SRC),
        ],
        check=True,
        capture_output=True,
    )
    return target


def test_pip_installed_plugin_parser_is_found_and_used(plugin_site: Path, tmp_path: Path) -> None:
    sample = tmp_path / "blob"
    sample.write_text("hello there\nsecond line\n")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(sample)],
        env={"PYTHONPATH": str(plugin_site), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["package"] == "llamafarm-shout-parser"
    assert result["chunks"] == ["HELLO THERE!!", "SECOND LINE!!"]


def test_without_the_package_the_type_is_unknown_and_known_types_are_listed(tmp_path: Path) -> None:
    sample = tmp_path / "blob"
    sample.write_text("x\n")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(sample)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert out.returncode != 0
    assert "unknown parser type 'ShoutParser_Loud'" in out.stderr
    assert "known types:" in out.stderr
