"""The parsed-config cache: parsed once per version of the file, never stale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llamafarm_core.config.cache import ConfigCache
from llamafarm_core.errors import ValidationFailed
from llamafarm_core.fsutil import RACY_NS

CONFIG = """version: v1
name: p
namespace: ns
runtime:
  models:
    - name: m
      provider: openai
      model: {model}
"""


def _write(path: Path, model: str, age_s: float = 0.0) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(CONFIG.format(model=model))
    if age_s:
        old = tmp.stat().st_mtime_ns - int(age_s * 1e9)
        os.utime(tmp, ns=(old, old))
    os.replace(tmp, path)


def _model(cache: ConfigCache, path: Path) -> str:
    config = cache.load(path)
    assert config is not None
    return config.runtime.models[0].model


def test_parsed_once_while_the_file_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "llamafarm.yaml"
    _write(path, "a", age_s=10)  # old enough for its stat to be trusted
    cache = ConfigCache()
    first = cache.load(path)
    assert cache.load(path) is first and cache.parses == 1
    _write(path, "b", age_s=5)
    assert _model(cache, path) == "b" and cache.parses == 2


def test_racily_clean_files_are_compared_by_content(tmp_path: Path) -> None:
    """Two writes within one clock tick may keep size and times: bytes decide."""
    path = tmp_path / "llamafarm.yaml"
    _write(path, "a")
    cache = ConfigCache()
    assert _model(cache, path) == "a"
    st = path.stat()
    _write(path, "b")  # same size; force the same times as the first version
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _model(cache, path) == "b"
    assert cache.load(path) is cache.load(path)  # same bytes: not parsed again
    assert cache.parses == 2
    assert RACY_NS > 0


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    path = tmp_path / "llamafarm.yaml"
    cache = ConfigCache()
    assert cache.load(path) is None
    path.write_text("version: v1\nname: [\n")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        cache.load(path)
    _write(path, "c")
    assert _model(cache, path) == "c"
    path.unlink()
    assert cache.load(path) is None
