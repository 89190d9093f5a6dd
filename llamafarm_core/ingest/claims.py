"""Per-file claims: two processing runs over one dataset never work on the same file at the
same time, yet work on different files in parallel.

A claim is an exclusive ``flock`` on one of 65,536 lock files of the dataset
(``datasets/{d}/.claims/{hash[:4]}.lock``), held from the moment a run decides to process a
file until its chunks are written. Runs take claims without waiting; a file claimed by
another run is put aside and claimed, waiting, only once the run holds no claims at all,
so no two runs ever wait on each other (no deadlock). Files whose hashes share a lock file
are simply serialised (the lock files stay: 0 bytes each, at most 65,536 per dataset).

flock locks belong to the open file, so two runs in threads of one process exclude each
other exactly as two processes (or machines sharing the data dir over a file system with
working flock) do.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
from pathlib import Path

PREFIX = 4  # hex digits of the hash naming a lock file
_HEX = re.compile(r"[0-9a-f]+")


def lock_key(file_hash: str) -> str:
    """The lock file's name for a hash (a non-hex "hash" is hashed: never a path)."""
    key = file_hash[:PREFIX]
    if len(key) == PREFIX and _HEX.fullmatch(key):
        return key
    return hashlib.sha256(file_hash.encode("utf-8", "replace")).hexdigest()[:PREFIX]


OPEN_FILES_SPARE = 512  # descriptors left for everything else a worker opens (stores, sockets)


def ensure_open_files(claims: int) -> int:
    """Raise this process's soft limit of open files, up to its hard limit, so that
    ``claims`` lock files fit beside :data:`OPEN_FILES_SPARE` others; returns the soft limit
    now in force. A run holds one descriptor per distinct lock file (up to a group of files
    plus those parsed ahead), and common soft limits are 1,024 (Linux) or 256 (macOS)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = claims + OPEN_FILES_SPARE
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
    return target


class FileClaims:
    """The claims one run holds on a dataset's files (thread-safe; one instance per run)."""

    def __init__(self, dataset_dir: Path) -> None:
        self.dir = dataset_dir / ".claims"
        self._lock = threading.Lock()
        self._held: dict[str, tuple[int, int]] = {}  # lock-file key -> (fd, files held)

    def try_claim(self, file_hash: str) -> bool:
        """Claim ``file_hash`` unless another run holds it (never waits)."""
        return self._claim(file_hash, wait=False)

    def claim(self, file_hash: str) -> None:
        """Claim ``file_hash``, waiting for the run that holds it. Call only while holding no
        other claim (see the module docstring)."""
        self._claim(file_hash, wait=True)

    def release(self, file_hash: str) -> None:
        key = lock_key(file_hash)
        with self._lock:
            fd, count = self._held[key]
            if count > 1:
                self._held[key] = (fd, count - 1)
                return
            del self._held[key]
        os.close(fd)  # closing the last descriptor drops the lock

    def held(self) -> int:
        with self._lock:
            return sum(count for _, count in self._held.values())

    def _claim(self, file_hash: str, *, wait: bool) -> bool:
        # One thread of a run claims at a time (its producer, then its deferred pass).
        key = lock_key(file_hash)
        with self._lock:
            if key in self._held:  # this run already holds the lock file: count the file
                fd, count = self._held[key]
                self._held[key] = (fd, count + 1)
                return True
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        with self._lock:
            self._held[key] = (fd, 1)
        return True
