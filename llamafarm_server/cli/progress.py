"""Live progress on stderr: the upload bar (files and bytes) and a task watcher (files
done/total, current file, failures as they happen; Ctrl-C offers to cancel the task)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from llamafarm_server.cli.client import CliError
from llamafarm_server.cli.output import err, error
from llamafarm_server.client import LlamaFarmClient, TaskProgress, UploadProgress


@contextlib.contextmanager
def upload_bar(enabled: bool = True) -> Iterator[Callable[[UploadProgress], None] | None]:
    """A callback for ``LlamaFarmClient.upload`` drawing two bars: files and bytes (on a
    terminal only: a pipe or a log file gets no bars)."""
    if not enabled or not err().is_terminal:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description:<6}"),
        BarColumn(),
        TextColumn("{task.fields[amount]}", markup=False),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}", markup=False),
        console=err(),
        transient=False,
    )
    files = progress.add_task("files", total=None, amount="", note="")
    data = progress.add_task("bytes", total=None, amount="", note="")
    byte_text = DownloadColumn()

    def update(p: UploadProgress) -> None:
        progress.update(
            files,
            total=p.files_total,
            completed=p.files_done,
            amount=f"{p.files_done}/{p.files_total}",
            note=f"uploaded {p.uploaded}, duplicates {p.skipped}, failed {p.failed}",
        )
        progress.update(data, total=p.bytes_total, completed=p.bytes_done, note=p.current or "")
        progress.update(data, amount=str(byte_text.render(progress.tasks[data])))

    with _shown(progress):
        yield update


def _ask_cancel(task_id: str) -> bool:
    sys.stderr.write(f"\nCancel task {task_id}? [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        return True
    return answer.strip().lower() in ("y", "yes")


def watch_task(
    client: LlamaFarmClient, namespace: str, project: str, task_id: str, *, quiet: bool = False
) -> TaskProgress:
    """Follow a task until it ends, with a live bar on a terminal unless ``quiet``; Ctrl-C
    asks whether to cancel it (yes: cancel and exit 130; no: keep watching)."""
    quiet = quiet or not err().is_terminal
    while True:
        try:
            return _follow(client, namespace, project, task_id, quiet)
        except KeyboardInterrupt:
            if _ask_cancel(task_id):
                answer = client.cancel_task(namespace, project, task_id)
                err().print(f"task {task_id}: {answer['message']}")
                raise CliError(130) from None
            if sys.stdin.closed or not sys.stdin.isatty():
                error(
                    f"task {task_id} keeps running; follow it with `llamafarm tasks show {namespace} {project} {task_id} --wait`"
                )
                raise CliError(130) from None


def _follow(client: LlamaFarmClient, namespace: str, project: str, task_id: str, quiet: bool) -> TaskProgress:
    if quiet:
        return client.wait_task(namespace, project, task_id)
    progress = Progress(
        TextColumn("processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[state]}"),
        TextColumn("{task.fields[note]}", markup=False),
        console=err(),
    )
    bar = progress.add_task("process", total=None, state="", note="")
    reported: set[str] = set()

    def update(p: TaskProgress) -> None:
        failures = f"; {p.failed} failed" if p.failed else ""
        note = f"{p.current}{failures}" if p.current else failures.lstrip("; ")
        progress.update(bar, total=p.total or None, completed=p.done, state=p.state, note=note)
        for f in p.failures:
            if f.hash not in reported:
                reported.add(f.hash)
                progress.console.print(f"failed: {f.filename or f.hash[:12]}: {f.reason}")

    with _shown(progress):
        return client.wait_task(namespace, project, task_id, on_progress=update)


@contextlib.contextmanager
def _shown(progress: Progress) -> Iterator[None]:
    """Like ``with progress`` but also stopped when Ctrl-C lands inside ``start()`` (else the
    refresh thread would keep drawing over the prompt that follows)."""
    try:
        progress.start()
        yield
    finally:
        progress.stop()
