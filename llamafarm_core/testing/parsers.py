"""The parser contract: every parser, built-in or third-party, should pass these tests.

Use it from a plugin's test module::

    from llamafarm_core.testing.parsers import ParserContract, ParserSample

    class TestMyParser(ParserContract):
        @pytest.fixture
        def parser(self):
            return MyParser(MyParser.Config(chunk_size=300, chunk_overlap=30))

        @pytest.fixture
        def sample(self):
            return ParserSample(make_bytes(), "report.xyz", "A sentence known to be in it.")

The sample should be long enough to give several chunks at the parser's ``chunk_size``.
Files are written under a content-hash name without extension, as the dataset store does,
so a parser that looks at the stored name instead of ``SourceFile.filename`` fails.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import NamedTuple

import pytest

from llamafarm_core.components.parser import Parser
from llamafarm_core.documents import CHUNK_INDEX, DOCUMENT_ID, FILE_HASH, FILENAME, ParseResult, SourceFile
from llamafarm_core.errors import ParseFailed

PIPELINE_KEYS = (FILE_HASH, FILENAME, CHUNK_INDEX, DOCUMENT_ID)


class ParserSample(NamedTuple):
    """A file to parse: its bytes, its original name, and a sentence known to be in its text."""

    data: bytes
    filename: str
    sentence: str


def make_source(directory: Path, data: bytes, filename: str) -> SourceFile:
    """Store ``data`` under its sha256 (no extension) and describe it as the upload ``filename``."""
    digest = hashlib.sha256(data).hexdigest()
    path = directory / digest
    path.write_bytes(data)
    return SourceFile(digest, filename, path, len(data))


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces (extraction may re-flow lines)."""
    return " ".join(text.split())


class ParserContract:
    """Contract tests; subclasses provide the ``parser`` and ``sample`` fixtures."""

    def parse_sample(self, parser: Parser, sample: ParserSample, directory: Path) -> ParseResult:
        return parser.parse(make_source(directory, sample.data, sample.filename))

    def test_finds_the_known_sentence(self, parser: Parser, sample: ParserSample, tmp_path: Path) -> None:
        result = self.parse_sample(parser, sample, tmp_path)
        wanted = squash(sample.sentence)
        assert any(wanted in squash(c.text) for c in result.chunks), (
            f"{sample.sentence!r} is in no chunk of {sample.filename}"
        )

    def test_no_empty_chunks(self, parser: Parser, sample: ParserSample, tmp_path: Path) -> None:
        result = self.parse_sample(parser, sample, tmp_path)
        assert result.chunks
        assert all(c.text.strip() for c in result.chunks)

    def test_chunk_sizes_respect_the_config(
        self, parser: Parser, sample: ParserSample, tmp_path: Path
    ) -> None:
        limit = parser.config.chunk_size
        result = self.parse_sample(parser, sample, tmp_path)
        too_long = [len(c.text) for c in result.chunks if len(c.text) > limit]
        assert not too_long, f"chunks longer than chunk_size={limit}: {too_long}"

    def test_empty_file_raises_parse_failed(
        self, parser: Parser, sample: ParserSample, tmp_path: Path
    ) -> None:
        with pytest.raises(ParseFailed) as info:
            parser.parse(make_source(tmp_path, b"", sample.filename))
        assert info.value.message

    def test_parse_is_deterministic(self, parser: Parser, sample: ParserSample, tmp_path: Path) -> None:
        first = self.parse_sample(parser, sample, tmp_path)
        second = self.parse_sample(parser, sample, tmp_path)
        assert [(c.text, c.metadata) for c in first.chunks] == [(c.text, c.metadata) for c in second.chunks]
        assert first.warnings == second.warnings

    def test_metadata_is_json_and_leaves_pipeline_keys_alone(
        self, parser: Parser, sample: ParserSample, tmp_path: Path
    ) -> None:
        result = self.parse_sample(parser, sample, tmp_path)
        for chunk in result.chunks:
            json.dumps(chunk.metadata)
            assert not set(PIPELINE_KEYS) & set(chunk.metadata), "the pipeline sets these keys, not parsers"
        json.dumps(result.metadata)
