"""A processing run reads the project's config many times (the run, each file's claim, the
dataset check before each write) but parses ``llamafarm.yaml`` at most once."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from llamafarm_core.ingest.results import FileStatus
from tests.core.ingest.pipeline_samples import good_files
from tests.core.ingest.test_pipeline import Env, env  # noqa: F401  (the fixture)


def test_a_run_parses_the_config_at_most_once(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    files = good_files()
    for name in ("chess.txt", "volcano.md", "animals.csv"):
        env.upload(name, files[name])
    parsed: list[str] = []
    real_load = yaml.load

    def counting_load(stream: Any, Loader: Any) -> Any:  # noqa: N803 (yaml's name)
        parsed.append(str(stream)[:40])
        return real_load(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "load", counting_load)
    report = env.process()
    assert [r.status for r in report.results] == [FileStatus.PROCESSED] * 3
    assert len(parsed) <= 1, parsed
