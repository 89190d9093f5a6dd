"""Original file names are metadata only: cleaned, never a path."""

from __future__ import annotations

import pytest

from llamafarm_core.datasets.filenames import clean_filename, guess_mime_type


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path/notes.md", "notes.md"),
        ("C:\\Users\\me\\data.csv", "data.csv"),
        ("evil\x00name.txt", "evilname.txt"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("..", "upload"),
        ("", "upload"),
        (None, "upload"),
        ("dir/", "upload"),
        ("  spaced name.txt  ", "spaced name.txt"),
        ("ünïcødé.txt", "ünïcødé.txt"),
        ("my%20report.pdf", "my report.pdf"),
        ("..%2F..%2Fetc%2Fpasswd", "passwd"),
        ("nul%00byte.txt", "nulbyte.txt"),
    ],
)
def test_clean_filename(raw: str | None, expected: str) -> None:
    assert clean_filename(raw) == expected


def test_long_name_keeps_extension() -> None:
    cleaned = clean_filename("a" * 400 + ".pdf")
    assert len(cleaned) == 255
    assert cleaned.endswith(".pdf")


def test_mime_type_from_name_then_declared() -> None:
    assert guess_mime_type("a.pdf", "application/octet-stream") == "application/pdf"
    assert guess_mime_type("noext", "text/plain; charset=utf-8") == "text/plain"
    assert guess_mime_type("noext", None) == "application/octet-stream"
    assert guess_mime_type("noext", "bad\x00type/x") == "application/octet-stream"
