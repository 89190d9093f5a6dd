"""Parse and extract one file in a child process, under a hard time and memory budget.

A hostile file can make a parser or an extractor run for hours (a regex backtracking in C,
which no thread can interrupt) or allocate gigabytes (a decompression bomb). Here that work
runs in a long-lived child process; the parent waits for the answer at most
``Settings.file_seconds`` and then KILLS the child, and the child runs under
``RLIMIT_AS`` = ``Settings.file_memory_mib``. Either way the file fails alone with its
reason, and the next file gets a fresh child.

Cheap on purpose: children are persistent (one per concurrent run, kept in a small pool),
not a fork per file; the parent sends the stored file's path and gets the chunks back.
Because the child works while the parent does something else, a caller can also overlap
parsing (child) with embedding (parent)::

    budget = FileBudget.from_settings(settings)
    prepared = prepare_isolated(budget, components, source, parsers, extractors)
    # PreparedFile, or PrepareFailed("processing this file took longer than 60 s ...")

A child asks Linux to SIGKILL it when its parent dies (``PR_SET_PDEATHSIG``), so it never
outlives the worker or server that started it, whatever it is doing.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from llamafarm_core.ingest.prepare import PreparedFile, PrepareFailed, parse_file, run_extractors

if TYPE_CHECKING:
    from llamafarm_core.config.models import ExtractorRef, ParserRef
    from llamafarm_core.documents import SourceFile
    from llamafarm_core.ingest.strategy_components import StrategyComponents
    from llamafarm_core.settings import Settings

log = logging.getLogger("llamafarm.ingest")

_HEADER = struct.Struct("!Q")
_STARTUP_SECONDS = 60.0  # a cold interpreter importing the plugins, on a busy machine


@dataclass(frozen=True)
class FileBudget:
    """Limits for preparing (parse + extract) one file. 0 turns a limit off; with both off
    the work runs in the calling process."""

    seconds: float = 60.0
    memory_mib: int = 2048

    @classmethod
    def from_settings(cls, settings: Settings) -> FileBudget:
        return cls(float(settings.file_seconds), int(settings.file_memory_mib))

    @property
    def isolated(self) -> bool:
        return self.seconds > 0 or self.memory_mib > 0


def prepare_local(
    components: StrategyComponents,
    source: SourceFile,
    parsers: list[ParserRef],
    extractors: list[ExtractorRef],
) -> PreparedFile:
    """Parse and extract in this process (no budget). Raises PrepareFailed."""
    prepared = parse_file(source, parsers, components)
    run_extractors(prepared, extractors, components)
    return prepared


def prepare_isolated(
    budget: FileBudget,
    components: StrategyComponents,
    source: SourceFile,
    parsers: list[ParserRef],
    extractors: list[ExtractorRef],
) -> PreparedFile:
    """:func:`prepare_local` in a child process under ``budget``. Raises PrepareFailed with
    the reason when the file fails, runs out of time or memory, or kills the child.

    Thread-safe: concurrent callers get different children. When the components can't be
    sent to a child (plugin classes defined inside a function), the work runs here."""
    if not budget.isolated:
        return prepare_local(components, source, parsers, extractors)
    try:
        setup = _Setup.of(components)
    except Exception as err:  # e.g. a local class in a test registry: cannot be pickled
        log.debug("preparing %s in-process: components cannot be pickled (%s)", source.filename, err)
        return prepare_local(components, source, parsers, extractors)
    child = _POOL.acquire(budget)
    healthy = False
    try:
        prepared = child.prepare(setup, source, parsers, extractors)
        healthy = True
        return prepared
    except PrepareFailed:
        healthy = child.alive()
        raise
    finally:
        _POOL.release(child, healthy)


# -- parent side ------------------------------------------------------------------------


@dataclass
class _Setup:
    """What a child needs to build the strategy's components: pickled once, by digest."""

    digest: str
    blob: bytes
    parsers: list[ParserRef]
    extractors: list[ExtractorRef]

    @classmethod
    def of(cls, components: StrategyComponents) -> _Setup:
        cached = getattr(components, "_isolation_setup", None)
        if isinstance(cached, _Setup):
            return cached
        index = int(components.base.rsplit("[", 1)[1].rstrip("]"))
        blob = pickle.dumps((components.registry, components.strategy, index), protocol=5)
        setup = cls(
            hashlib.sha256(blob).hexdigest(),
            blob,
            components.strategy.parsers,
            components.strategy.extractors,
        )
        components._isolation_setup = setup  # type: ignore[attr-defined]
        return setup


class _Unknown(Exception):
    """The child no longer has the components: send them again."""


def _positions(setup: _Setup, refs: list[Any], kind: int) -> list[int]:
    known = setup.parsers if kind == 0 else setup.extractors
    return [next(i for i, r in enumerate(known) if r is ref) for ref in refs]


class _Child:
    """One child process and the pipes to it."""

    def __init__(self, budget: FileBudget) -> None:
        self.budget = budget
        self.known: set[str] = set()
        env = dict(os.environ)
        # The child imports the same code (and test plugins) as this process.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        cmd = [
            sys.executable,
            "-m",
            "llamafarm_core.ingest.isolation",
            str(budget.memory_mib),
            str(os.getpid()),
        ]
        self.proc = _spawn(cmd, env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin: IO[bytes] = self.proc.stdin
        self.stdout: IO[bytes] = self.proc.stdout
        self._fresh = True

    def alive(self) -> bool:
        return self.proc.poll() is None

    def prepare(
        self, setup: _Setup, source: SourceFile, parsers: list[ParserRef], extractors: list[ExtractorRef]
    ) -> PreparedFile:
        try:
            return self._prepare(setup, source, parsers, extractors)
        except _Unknown:
            self.known.discard(setup.digest)
            return self._prepare(setup, source, parsers, extractors)

    def _prepare(
        self, setup: _Setup, source: SourceFile, parsers: list[ParserRef], extractors: list[ExtractorRef]
    ) -> PreparedFile:
        blob = None if setup.digest in self.known else setup.blob
        # Components are built per position in the strategy: refs travel as indices.
        request = pickle.dumps(
            (setup.digest, blob, source, _positions(setup, parsers, 0), _positions(setup, extractors, 1)),
            protocol=5,
        )
        # A fresh child first imports the plugins: that time is not the file's.
        timeout = self.budget.seconds if self.budget.seconds > 0 else None
        startup = _STARTUP_SECONDS if self._fresh else 0.0
        try:
            _send(self.stdin, request)
            if self._fresh:
                _expect_ready(self.stdout, _STARTUP_SECONDS)
                self._fresh = False
            reply = _receive(self.stdout, timeout)
        except TimeoutError:
            self.kill()
            raise PrepareFailed(
                f"processing this file took longer than {self.budget.seconds:g} s and was stopped "
                "(the limit is LF_FILE_SECONDS)"
            ) from None
        except (OSError, EOFError):
            code = self.kill()
            raise PrepareFailed(self._death_reason(code, startup)) from None
        self.known.add(setup.digest)
        kind, *rest = pickle.loads(reply)
        if kind == "ok":
            return rest[0]  # type: ignore[no-any-return]
        if kind == "unknown":
            raise _Unknown
        if kind == "memory":
            self.kill()
            raise PrepareFailed(self._memory_reason())
        reason, warnings = rest
        raise PrepareFailed(reason, warnings)

    def _memory_reason(self) -> str:
        return (
            f"processing this file needed more than {self.budget.memory_mib} MiB of memory and "
            "was stopped (the limit is LF_FILE_MEMORY_MIB)"
        )

    def _death_reason(self, code: int | None, startup: float) -> str:
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            if -code == signal.SIGKILL and self.budget.memory_mib:
                return self._memory_reason() + " (the process was killed)"
            return f"the process preparing this file died ({name}) and was restarted"
        if startup:
            return f"the process preparing files could not start (exit code {code}); see the log"
        return f"the process preparing this file exited (code {code}) and was restarted"

    def kill(self) -> int | None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        code = self.proc.wait()
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        return code

    def close(self) -> None:
        """Ask the child to exit (EOF on its input); kill it if it doesn't at once."""
        with contextlib.suppress(OSError):
            self.stdin.close()
        try:
            self.proc.wait(1.0)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(OSError):
            self.stdout.close()


# On Linux a child's parent-death signal fires when the *thread* that started it exits, so
# every child is started from this one thread, which lives as long as the process.
_SPAWNER = ThreadPoolExecutor(1, thread_name_prefix="isolation-spawner")


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)

    return _SPAWNER.submit(start).result()


class _Pool:
    """Idle children by budget, reused across files and runs."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._lock = threading.Lock()

    def acquire(self, budget: FileBudget) -> _Child:
        with self._lock:
            for child in self._idle:
                if child.budget == budget and child.alive():
                    self._idle.remove(child)
                    self._busy.add(child)
                    return child
        child = _Child(budget)
        with self._lock:
            self._busy.add(child)
        return child

    def release(self, child: _Child, healthy: bool) -> None:
        with self._lock:
            self._busy.discard(child)
            if healthy and child.alive() and len(self._idle) < self.keep:
                self._idle.append(child)
                return
        if child.alive():
            child.close()

    def prestart(self, budget: FileBudget, count: int) -> int:
        """Start children until ``count`` idle ones have ``budget`` (never more idle ones than
        the pool keeps); how many were started."""
        with self._lock:
            ready = sum(1 for c in self._idle if c.budget == budget and c.alive())
            room = self.keep - len(self._idle)
        started = 0
        for _ in range(max(0, min(count - ready, room))):
            child = _Child(budget)
            with self._lock:
                self._idle.append(child)
            started += 1
        return started

    def pids(self) -> list[int]:
        with self._lock:
            return [c.proc.pid for c in [*self._idle, *self._busy] if c.alive()]

    def shutdown(self) -> None:
        with self._lock:
            children, self._idle = [*self._idle, *self._busy], []
            self._busy = set()
        for child in children:
            child.kill()


_POOL = _Pool()
atexit.register(_POOL.shutdown)


def prestart(budget: FileBudget, count: int) -> int:
    """Start ``count`` children for ``budget`` ahead of the first file (a worker's warm-up):
    their interpreters start and import the plugins meanwhile, so the first job does not
    wait for them. Nothing to start when files are prepared in-process (no budget)."""
    return _POOL.prestart(budget, count) if budget.isolated else 0


def child_pids() -> list[int]:
    """Pids of this process's isolation children (for tests and diagnostics)."""
    return _POOL.pids()


def shutdown() -> None:
    """Kill every child now (they are restarted on demand)."""
    _POOL.shutdown()


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int, deadline: float | None) -> bytes:
    fd = stream.fileno()
    parts: list[bytes] = []
    while size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _receive(stream: IO[bytes], timeout: float | None) -> bytes:
    deadline = time.monotonic() + timeout if timeout else None
    (size,) = _HEADER.unpack(_read_exactly(stream, _HEADER.size, deadline))
    return _read_exactly(stream, size, deadline)


def _expect_ready(stream: IO[bytes], timeout: float) -> None:
    if _receive(stream, timeout) != b"ready":
        raise EOFError


# -- child side -------------------------------------------------------------------------


def _child_main(memory_mib: int, parent: int) -> int:
    from llamafarm_core.offline import enforce_offline
    from llamafarm_core.parent_death import set_parent_death_signal

    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the parent to handle
    # Replies go to a private copy of stdout; whatever a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    enforce_offline()
    import llamafarm_core.ingest.strategy_components  # noqa: F401  (imports paid before the budget)

    if memory_mib > 0:
        import resource

        limit = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _send(out, b"ready")
    components: dict[str, Any] = {}
    stdin = sys.stdin.buffer
    while True:
        try:
            header = stdin.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return 0
            (size,) = _HEADER.unpack(header)
            digest, blob, source, parser_at, extractor_at = pickle.loads(stdin.read(size))
            if digest not in components and blob is None:  # forgotten: ask for it again
                _send(out, pickle.dumps(("unknown",), protocol=5))
                continue
            if digest not in components:
                from llamafarm_core.ingest.strategy_components import StrategyComponents

                registry, strategy, index = pickle.loads(blob)
                if len(components) >= 16:
                    components.pop(next(iter(components)))
                components[digest] = StrategyComponents(registry, strategy, index)
            built = components[digest]
            parsers = [built.strategy.parsers[i] for i in parser_at]
            extractors = [built.strategy.extractors[i] for i in extractor_at]
            reply: tuple[Any, ...]
            try:
                reply = ("ok", prepare_local(built, source, parsers, extractors))
            except PrepareFailed as err:
                # A parser that ran out of memory is reported as such (parse_file catches it
                # like any other parser error); the child then starts afresh.
                memory = "MemoryError" in err.reason
                reply = ("memory",) if memory else ("failed", err.reason, err.warnings)
            payload = pickle.dumps(reply, protocol=5)
        except MemoryError:
            payload = pickle.dumps(("memory",), protocol=5)
            _send(out, payload)
            return 3
        _send(out, payload)


if __name__ == "__main__":
    sys.exit(_child_main(int(sys.argv[1]), int(sys.argv[2])))
