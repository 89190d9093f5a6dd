"""The extractor contract: every extractor, built-in or third-party, should pass these tests.

Use it from a plugin's test module::

    from llamafarm_core.testing.extractors import ExtractorContract

    class TestMyExtractor(ExtractorContract):
        @pytest.fixture
        def extractor(self):
            return MyExtractor(MyExtractor.Config())

        @pytest.fixture
        def sample_texts(self):
            return ["First chunk of a real document ...", "Second chunk ..."]

        @pytest.fixture
        def expected_keys(self):
            return {"my_key", "my_count"}

``sample_texts`` are the chunks of one file in document order; use text that exercises the
extractor (at least one chunk should make it find something). ``expected_keys`` are the
keys the extractor promises to add to every chunk, whatever its text. The ``source``
fixture describes an upload whose stored blob does not exist: an extractor must not read
the file (it works on chunks), and one that tries fails here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llamafarm_core.components.base import PluginConfig
from llamafarm_core.components.extractor import Extractor
from llamafarm_core.documents import CHUNK_INDEX, FILE_HASH, FILENAME, Chunk, SourceFile
from llamafarm_core.vectors import flatten_metadata

SENTINEL_KEY = "contract_sentinel"
LONG_TEXT_CHARS = 200_000

MakeChunks = Callable[[list[str]], list[Chunk]]


def make_chunks(
    texts: list[str], file_hash: str = "0" * 64, filename: str = "docs/report.txt"
) -> list[Chunk]:
    """Chunks as the pipeline hands them to extractors: pipeline keys set, plus a sentinel."""
    return [
        Chunk(
            text,
            {FILE_HASH: file_hash, FILENAME: filename, CHUNK_INDEX: i, SENTINEL_KEY: {"kept": [i]}},
        )
        for i, text in enumerate(texts)
    ]


def _is_json_value(value: Any) -> bool:
    """Plain JSON: str/int/float (finite)/bool/None, lists and str-keyed dicts of those."""
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


class ExtractorContract:
    """Contract tests; subclasses provide ``extractor``, ``sample_texts`` and ``expected_keys``."""

    @pytest.fixture
    def source(self, tmp_path: Path) -> SourceFile:
        missing = tmp_path / "not-stored" / ("0" * 64)
        return SourceFile("0" * 64, "docs/report.txt", missing, 12345, "text/plain")

    def run(self, extractor: Extractor, texts: list[str], source: SourceFile) -> list[Chunk]:
        chunks = make_chunks(texts, source.file_hash, source.filename)
        extractor.extract(chunks, source)
        return chunks

    def test_is_an_extractor_with_a_name(self, extractor: Extractor) -> None:
        assert isinstance(extractor, Extractor)
        assert type(extractor).name and isinstance(type(extractor).name, str)
        assert issubclass(type(extractor).Config, PluginConfig)

    def test_config_has_usable_defaults(self, extractor: Extractor) -> None:
        type(extractor).Config()  # every option has a default

    def test_adds_expected_keys_to_every_chunk(
        self, extractor: Extractor, sample_texts: list[str], expected_keys: set[str], source: SourceFile
    ) -> None:
        chunks = self.run(extractor, sample_texts, source)
        assert len(chunks) == len(sample_texts)
        for chunk in chunks:
            missing = expected_keys - set(chunk.metadata)
            assert not missing, f"chunk {chunk.metadata[CHUNK_INDEX]} lacks {sorted(missing)}"

    def test_finds_something_in_the_sample(
        self, extractor: Extractor, sample_texts: list[str], expected_keys: set[str], source: SourceFile
    ) -> None:
        chunks = self.run(extractor, sample_texts, source)
        values = [chunk.metadata[k] for chunk in chunks for k in expected_keys]
        assert any(v not in (None, "", 0, [], {}) for v in values), "the sample gave only empty values"

    def test_values_are_json(
        self, extractor: Extractor, sample_texts: list[str], expected_keys: set[str], source: SourceFile
    ) -> None:
        for chunk in self.run(extractor, sample_texts, source):
            for key, value in chunk.metadata.items():
                assert isinstance(key, str)
                assert _is_json_value(value), f"{key}={value!r} is not plain JSON"
            json.dumps(chunk.metadata, allow_nan=False)
            flatten_metadata(chunk.metadata)  # what the vector stores do with it

    def test_keeps_existing_metadata(
        self, extractor: Extractor, sample_texts: list[str], expected_keys: set[str], source: SourceFile
    ) -> None:
        chunks = self.run(extractor, sample_texts, source)
        for i, chunk in enumerate(chunks):
            assert chunk.metadata[SENTINEL_KEY] == {"kept": [i]}
            assert chunk.metadata[FILE_HASH] == source.file_hash
            assert chunk.metadata[FILENAME] == source.filename
            assert chunk.metadata[CHUNK_INDEX] == i
            assert chunk.text == sample_texts[i]

    def test_empty_and_blank_text(
        self, extractor: Extractor, expected_keys: set[str], source: SourceFile
    ) -> None:
        chunks = self.run(extractor, ["", "   \n\n\t ", "."], source)
        for chunk in chunks:
            assert expected_keys <= set(chunk.metadata)
            json.dumps(chunk.metadata, allow_nan=False)

    def test_no_chunks(self, extractor: Extractor, source: SourceFile) -> None:
        extractor.extract([], source)

    def test_very_long_text(
        self, extractor: Extractor, sample_texts: list[str], expected_keys: set[str], source: SourceFile
    ) -> None:
        base = "\n\n".join(t for t in sample_texts if t.strip()) or "word "
        long_text = (base + "\n\n") * (LONG_TEXT_CHARS // (len(base) + 2) + 1)
        [chunk] = self.run(extractor, [long_text], source)
        assert expected_keys <= set(chunk.metadata)
        json.dumps(chunk.metadata, allow_nan=False)

    def test_deterministic(self, extractor: Extractor, sample_texts: list[str], source: SourceFile) -> None:
        first = [c.metadata for c in self.run(extractor, sample_texts, source)]
        second = [c.metadata for c in self.run(extractor, sample_texts, source)]
        assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)

    def test_chunk_order_is_the_only_cross_chunk_input(
        self, extractor: Extractor, sample_texts: list[str], source: SourceFile
    ) -> None:
        """Running twice over the same extractor instance gives the same result: no state
        leaks from one file to the next."""
        self.run(extractor, [*sample_texts, *sample_texts], source)
        after_other_file = [c.metadata for c in self.run(extractor, sample_texts, source)]
        fresh = type(extractor)(extractor.config, **extractor.context)
        clean = [c.metadata for c in self.run(fresh, sample_texts, source)]
        assert json.dumps(after_other_file, sort_keys=True) == json.dumps(clean, sort_keys=True)
