"""Parse + extract of one file in a killable child process: the time and memory budgets, the
child's reuse, and that it never outlives its parent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from llamafarm_core.config.models import DataProcessingStrategy
from llamafarm_core.ingest.isolation import FileBudget, child_pids, prepare_isolated, prestart, shutdown
from llamafarm_core.ingest.prepare import PrepareFailed
from llamafarm_core.ingest.strategy_components import StrategyComponents
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.testing.parsers import make_source
from tests.core.ingest.hostile_plugins import registry_with

REPO = Path(__file__).resolve().parents[3]


def _strategy() -> DataProcessingStrategy:
    return DataProcessingStrategy.model_validate(
        {
            "name": "s",
            "parsers": [
                {"type": "stuck", "file_include_patterns": ["*.stuck"]},
                {"type": "greedy", "file_include_patterns": ["*.greedy"]},
                {"type": "TextParser_Python", "file_include_patterns": ["*.txt"]},
            ],
            "extractors": [{"type": "KeywordExtractor", "file_include_patterns": ["*"]}],
        }
    )


@pytest.fixture
def components(registry: Registry) -> StrategyComponents:
    return StrategyComponents(registry_with(registry), _strategy(), 0)


@pytest.fixture(autouse=True)
def _fresh_children():  # type: ignore[no-untyped-def]
    shutdown()
    yield
    shutdown()


def _prepare(budget: FileBudget, components: StrategyComponents, tmp_path: Path, name: str, data: bytes):  # type: ignore[no-untyped-def]
    s = components.strategy
    parser = {".stuck": 0, ".greedy": 1, ".txt": 2}[Path(name).suffix]
    source = make_source(tmp_path, data, name)
    return prepare_isolated(budget, components, source, [s.parsers[parser]], list(s.extractors))


def test_a_good_file_is_prepared_in_a_child_that_is_reused(
    components: StrategyComponents, tmp_path: Path
) -> None:
    budget = FileBudget(30, 1024)
    first = _prepare(budget, components, tmp_path, "a.txt", b"Gliders ride thermals over the ridge.")
    (pid,) = child_pids()
    assert pid != os.getpid()
    second = _prepare(budget, components, tmp_path, "b.txt", b"Ridge lift keeps a glider aloft for hours.")
    assert child_pids() == [pid]  # the same child: no process per file
    assert first.parser == "TextParser_Python" and first.extractors == ["KeywordExtractor"]
    assert "thermals" in first.chunks[0].text and "keywords" in second.chunks[0].metadata


def test_a_file_stuck_in_c_code_is_killed_after_the_time_budget(
    components: StrategyComponents, tmp_path: Path
) -> None:
    budget = FileBudget(2, 1024)
    _prepare(budget, components, tmp_path, "warm.txt", b"Warm the child up first.")  # startup isn't timed
    (pid,) = child_pids()
    started = time.monotonic()
    with pytest.raises(PrepareFailed) as failed:
        _prepare(budget, components, tmp_path, "evil.stuck", b"anything")
    assert time.monotonic() - started < 15
    assert "took longer than 2 s" in failed.value.reason and "LF_FILE_SECONDS" in failed.value.reason
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    # The next file gets a new child and goes through.
    after = _prepare(budget, components, tmp_path, "good.txt", b"The next file is processed as usual.")
    assert "usual" in after.chunks[0].text and child_pids() != [pid]


def test_a_file_that_needs_too_much_memory_fails_with_that_reason(
    components: StrategyComponents, tmp_path: Path
) -> None:
    budget = FileBudget(60, 512)
    with pytest.raises(PrepareFailed) as failed:
        _prepare(budget, components, tmp_path, "bomb.greedy", b"anything")
    assert "more than 512 MiB" in failed.value.reason and "LF_FILE_MEMORY_MIB" in failed.value.reason
    after = _prepare(budget, components, tmp_path, "good.txt", b"Memory is back to normal for this one.")
    assert "normal" in after.chunks[0].text


def test_prestarted_children_take_the_first_files(components: StrategyComponents, tmp_path: Path) -> None:
    """A worker's warm-up starts the parsing children; its first files go to them."""
    budget = FileBudget(30, 1024)
    assert prestart(budget, 2) == 2
    started = sorted(child_pids())
    assert len(started) == 2 and prestart(budget, 2) == 0  # enough are idle already
    prepared = _prepare(budget, components, tmp_path, "a.txt", b"Wave lift over the lee of a mountain.")
    assert "Wave" in prepared.chunks[0].text and sorted(child_pids()) == started
    assert prestart(FileBudget(0, 0), 2) == 0  # files prepared in-process: nothing to start


def test_no_budget_runs_in_this_process(components: StrategyComponents, tmp_path: Path) -> None:
    prepared = _prepare(FileBudget(0, 0), components, tmp_path, "a.txt", b"Local work, no child at all.")
    assert "Local" in prepared.chunks[0].text and child_pids() == []


_ORPHAN_SCRIPT = """
import sys
from pathlib import Path
from llamafarm_core.ingest.strategy_components import StrategyComponents
from llamafarm_core.ingest.isolation import FileBudget, child_pids, prepare_isolated
from llamafarm_core.ingest.pipeline import default_registry
from llamafarm_core.testing.parsers import make_source
from tests.core.ingest.hostile_plugins import registry_with
from tests.core.ingest.test_isolation import _strategy
import threading, time
s = _strategy()
components = StrategyComponents(registry_with(default_registry()), s, 0)
def report():
    while not child_pids():
        time.sleep(0.05)
    print(child_pids()[0], flush=True)
threading.Thread(target=report, daemon=True).start()
prepare_isolated(FileBudget(600, 0), components, make_source(Path(sys.argv[1]), b"x", "evil.stuck"), [s.parsers[0]], [])
"""


def test_the_child_dies_with_its_parent_even_when_stuck(tmp_path: Path) -> None:
    """kill -9 of the worker (or server) while its child is stuck in C: the child follows."""
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path])},
    )
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        time.sleep(1.0)  # let it get stuck in the regex
        assert child.is_running() and child.cpu_times().user > 0
        parent.kill()
        parent.wait()
        gone, _ = psutil.wait_procs([child], timeout=5)
        assert gone, "the isolation child outlived its parent"
    finally:
        parent.kill()
        parent.wait()
