"""The client's upload plumbing without a server: which files a spec names, how they are
batched, and that the streamed multipart body is exactly what it declares."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import pytest

from llamafarm_server.client import ClientError, collect_files
from llamafarm_server.client.uploads import LocalFile, MultipartStream, batches


def tree(root: Path) -> None:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.md").write_text("# beta")
    (root / "sub" / "deep" / "c.md").write_text("gamma" * 100)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]")
    (root / "sub" / ".DS_Store").write_bytes(b"\x00")


def test_paths_directories_and_globs_name_each_file_once(tmp_path: Path) -> None:
    tree(tmp_path)
    names = [
        f.path.name for f in collect_files([tmp_path / "a.txt", tmp_path, str(tmp_path / "**" / "*.md")])
    ]
    assert names == ["a.txt", "b.md", "c.md"]
    sizes = {f.path.name: f.size for f in collect_files([tmp_path])}
    assert sizes == {"a.txt": 5, "b.md": 6, "c.md": 500}  # hidden files of a directory are left out
    assert [f.path.name for f in collect_files([tmp_path / ".git" / "config"])] == ["config"]  # named: sent
    with pytest.raises(ClientError, match="no such file"):
        collect_files([tmp_path / "missing.txt"])
    with pytest.raises(ClientError, match="no files match"):
        collect_files([str(tmp_path / "*.pdf")])


def test_batches_are_bounded_in_count_and_bytes() -> None:
    files = [LocalFile(Path(f"f{i}"), size) for i, size in enumerate([10, 10, 10, 50, 10, 200, 10])]
    groups = [[f.path.name for f in b] for b in batches(files, max_files=3, max_bytes=60)]
    assert groups == [["f0", "f1", "f2"], ["f3", "f4"], ["f5"], ["f6"]]
    assert [len(b) for b in batches(files, max_files=2, max_bytes=10_000)] == [2, 2, 2, 1]


def test_the_streamed_body_parses_and_has_the_declared_length(tmp_path: Path) -> None:
    tree(tmp_path)
    (tmp_path / 'odd "name".txt').write_bytes(b"\x00\xff binary\r\n--not-a-boundary")
    files = collect_files([tmp_path])
    seen: list[tuple[int, str]] = []
    body = MultipartStream(files, on_bytes=lambda n, name: seen.append((n, name)))
    raw = b""
    while chunk := body.read(7):  # small reads, as http.client would do them
        raw += chunk
    assert len(raw) == len(body)
    assert sum(n for n, _ in seen) == sum(f.size for f in files)

    message = message_from_bytes(f"Content-Type: {body.content_type}\r\n\r\n".encode() + raw)
    parts = message.get_payload()
    assert [p.get_param("filename", header="content-disposition") for p in parts] == [
        "a.txt",
        "odd %22name%22.txt",
        "b.md",
        "c.md",
    ]
    assert parts[1].get_payload(decode=True) == b"\x00\xff binary\r\n--not-a-boundary"
    assert parts[3].get_payload(decode=True) == b"gamma" * 100


def test_a_file_that_shrinks_while_it_is_sent_fails_instead_of_sending_a_short_body(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("0123456789")
    body = MultipartStream(collect_files([path]))
    path.write_text("012")
    with pytest.raises(ClientError, match="size changed"):
        body.read()
