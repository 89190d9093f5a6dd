"""LF_ENCODE_THREADS sets torch's threads for a process's encodes (serve uses 1, beside
workers that ingest on every core); a bad value is refused with the variable's name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from llamafarm_embedders.model_cache import encode_threads

from llamafarm_core.plugin_api import ComponentUnavailable

PROBE = """
import torch
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder(SentenceTransformerConfig())
assert len(embedder.embed(["a query"])[0]) == 384
print(embedder._model().map(lambda _: torch.get_num_threads(), [0])[0])
"""


def test_unset_keeps_the_default_and_a_number_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LF_ENCODE_THREADS", raising=False)
    assert encode_threads() is None
    monkeypatch.setenv("LF_ENCODE_THREADS", "3")
    assert encode_threads() == 3


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LF_ENCODE_THREADS", value)
    with pytest.raises(ComponentUnavailable, match="LF_ENCODE_THREADS"):
        encode_threads()


@pytest.mark.slow
def test_encodes_run_with_the_threads_asked_for() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LF_ENCODE_THREADS", "OMP_NUM_THREADS")}
    runs = {}
    for value in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            env={**env, "LF_ENCODE_THREADS": value, "HF_HUB_OFFLINE": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        runs[value] = int(done.stdout.split()[-1])
    assert runs == {"1": 1, "2": 2}
