"""Uploading many files without holding them: batches bounded in count and bytes, each sent
as a multipart body streamed from disk one file at a time (one file open at a time, memory
bounded by the read size), with an exact Content-Length."""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from llamafarm_server.client.api import ClientError

BATCH_FILES = 200
BATCH_BYTES = 32 * 1024 * 1024
READ_SIZE = 256 * 1024
_GLOB_CHARS = ("*", "?", "[")


@dataclass(frozen=True)
class LocalFile:
    path: Path
    size: int


def collect_files(specs: list[str | Path]) -> list[LocalFile]:
    """Files named by paths, directories (read recursively, hidden files and directories
    left out) and globs (``**`` allowed), in order, each once. A spec that names nothing is a
    :class:`ClientError`."""
    out: list[LocalFile] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen and path.is_file():
            seen.add(key)
            out.append(LocalFile(path, path.stat().st_size))

    for spec in specs:
        text = str(spec)
        path = Path(text)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # no .git, .cache, …
                for name in sorted(n for n in names if not n.startswith(".")):
                    add(Path(root) / name)
        elif path.is_file():
            add(path)
        elif any(c in text for c in _GLOB_CHARS):
            matches = sorted(glob.glob(text, recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise ClientError(f"{text}: no files match")
            for f in files:
                add(f)
        else:
            raise ClientError(f"{text}: no such file or directory")
    return out


def batches(
    files: list[LocalFile], max_files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES
) -> Iterator[list[LocalFile]]:
    """Consecutive groups of at most ``max_files`` files and ``max_bytes`` bytes (a larger
    file goes alone)."""
    batch: list[LocalFile] = []
    size = 0
    for f in files:
        if batch and (len(batch) >= max_files or size + f.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(f)
        size += f.size
    if batch:
        yield batch


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartStream:
    """A ``multipart/form-data`` body of files (field ``files``), read lazily from disk.

    ``requests`` sends it with the exact Content-Length (``len()``) by calling ``read()``;
    ``on_bytes(n, filename)`` is told of every file byte that goes out.
    """

    def __init__(self, files: list[LocalFile], on_bytes: Callable[[int, str], None] | None = None) -> None:
        self.boundary = uuid.uuid4().hex
        self.files = files
        self.on_bytes = on_bytes
        self._heads = [self._head(f) for f in files]
        self._tail = f"--{self.boundary}--\r\n".encode()
        self._length = sum(len(h) + f.size + 2 for h, f in zip(self._heads, files, strict=True)) + len(
            self._tail
        )
        self._chunks = self._generate()
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self, f: LocalFile) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{_quote(f.path.name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()

    def _generate(self) -> Iterator[bytes]:
        for head, f in zip(self._heads, self.files, strict=True):
            yield head
            sent = 0
            with open(f.path, "rb") as fh:
                while sent < f.size and (chunk := fh.read(min(READ_SIZE, f.size - sent))):
                    sent += len(chunk)
                    if self.on_bytes:
                        self.on_bytes(len(chunk), f.path.name)
                    yield chunk
            if sent != f.size:  # the file changed under us: keep the declared length honest
                raise ClientError(f"{f.path}: its size changed while it was being uploaded")
            yield b"\r\n"
        yield self._tail

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        if self._buffer:
            yield self._buffer
            self._buffer = b""
        yield from self._chunks

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out
