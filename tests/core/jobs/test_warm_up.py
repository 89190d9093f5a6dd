"""A worker loads the bundled embedding model before it takes jobs; a warm-up that cannot
load anything is logged and leaves the worker as it was."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from llamafarm_core.jobs import warm_up
from llamafarm_core.plugins.registry import Registry

PROBE = """
from llamafarm_core.ingest.isolation import FileBudget, child_pids
from llamafarm_core.jobs.warm_up import warm_up
from llamafarm_core.plugins import build_registry, get_plugin_manager
from llamafarm_embedders import model_cache
import sys
assert not model_cache._models and "chromadb" not in sys.modules and not child_pids()
assert warm_up(build_registry(get_plugin_manager()), FileBudget(60, 2048))
assert "chromadb" in sys.modules  # the template's store client, imported ahead of a first write
assert len(child_pids()) == 2  # the parsing children a run uses at once, started
import gc
assert len(gc.get_objects()) < 5_000  # what it loaded is out of the GC's full collections
print(sorted(precision for _, _, precision in model_cache._models), len(model_cache._models))
"""


@pytest.mark.slow
def test_the_warm_up_loads_the_bundled_model_once_and_the_store_client() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "1"  # one model in the cache, loaded and encoded once


def test_the_warm_up_loads_the_rag_templates_embedder(tmp_path: Path) -> None:
    """Same type and config (precision included), so its model is the one jobs use."""
    from llamafarm_core.config.templates import render

    config = render("rag", name="p", namespace="n", templates_dir=tmp_path)
    strategy = config["rag"]["databases"][0]["embedding_strategies"][0]
    assert (strategy["type"], strategy["config"]) == warm_up.BUNDLED_EMBEDDER


def test_a_warm_up_that_cannot_load_is_logged_not_raised(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(warm_up, "BUNDLED_EMBEDDER", ("NoSuchEmbedder", {}))
    with caplog.at_level(logging.INFO, logger="llamafarm.worker"):
        assert warm_up.warm_up(registry) is False
    assert "warm-up skipped" in caplog.text and "NoSuchEmbedder" in caplog.text
