"""PathExtractor: the uploaded name's parts, never the stored file."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamafarm_core.documents import Chunk, SourceFile
from llamafarm_core.testing.extractors import ExtractorContract


class TestPathContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("PathExtractor")

    @pytest.fixture
    def sample_texts(self, fda_text):
        return [fda_text, "second chunk"]

    @pytest.fixture
    def expected_keys(self):
        return {
            "file_path",
            "file_name",
            "file_stem",
            "file_extension",
            "directory",
            "mime_type",
            "file_size",
        }


def path_meta(build, filename: str, mime: str = "application/octet-stream", size: int = 10, **config):
    source = SourceFile("f" * 64, filename, Path("/nonexistent/blob"), size, mime)
    chunks = [Chunk("a"), Chunk("b")]
    build("path", **config).extract(chunks, source)
    assert chunks[0].metadata == chunks[1].metadata
    return chunks[0].metadata


def test_parts_of_the_original_name(build):
    meta = path_meta(build, "reports/2024/Q1 Summary.final.PDF", size=4096)
    assert meta == {
        "file_path": "reports/2024/Q1 Summary.final.PDF",
        "file_name": "Q1 Summary.final.PDF",
        "file_stem": "Q1 Summary.final",
        "file_extension": ".pdf",
        "directory": "reports/2024",
        "mime_type": "application/pdf",
        "file_size": 4096,
    }


def test_plain_name_and_no_extension(build):
    meta = path_meta(build, "README", mime="text/plain")
    assert (meta["directory"], meta["file_extension"], meta["file_stem"], meta["mime_type"]) == (
        "",
        "",
        "README",
        "text/plain",
    )
    assert path_meta(build, ".env")["file_extension"] == ""


def test_windows_names_and_traversal(build):
    meta = path_meta(build, "C:\\Users\\me\\..\\docs\\a.txt")
    assert meta["directory"] == "C:/Users/me/docs" and meta["file_name"] == "a.txt"
    assert path_meta(build, "../../etc/passwd")["directory"] == "etc"
    assert path_meta(build, "C:\\docs\\a.txt", normalize_paths=False)["file_path"] == "C:\\docs\\a.txt"


def test_relative_to_and_switches(build):
    meta = path_meta(
        build, "data/raw/x.csv", relative_to="./data", store_filename=False, store_extension=False
    )
    assert meta["file_path"] == "raw/x.csv" and meta["directory"] == "raw"
    assert "file_name" not in meta and "file_extension" not in meta
    assert meta["mime_type"] == "text/csv"
