"""serve's own encodes use one torch thread; its workers keep every core."""

from __future__ import annotations

import os

import pytest


def test_serve_encodes_with_one_thread_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve's own query encodes use one torch thread (beside workers ingesting on every
    core); a value the user set wins."""
    from llamafarm_server.cli.serve import limit_own_encode_threads

    monkeypatch.delenv("LF_ENCODE_THREADS", raising=False)
    limit_own_encode_threads()
    assert os.environ["LF_ENCODE_THREADS"] == "1"
    monkeypatch.setenv("LF_ENCODE_THREADS", "4")
    limit_own_encode_threads()
    assert os.environ["LF_ENCODE_THREADS"] == "4"
