"""What the server asks of the jobs layer: submit a processing task, show it, wait for it,
cancel it, and report on Redis and workers. Blocking; the server calls it off the loop.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llamafarm_core.errors import Conflict
from llamafarm_core.fsutil import StatKey
from llamafarm_core.jobs import context
from llamafarm_core.jobs.connection import connect, redis_errors, redis_url
from llamafarm_core.jobs.functions import PROCESS_FILES
from llamafarm_core.jobs.inline import run_task_inline
from llamafarm_core.jobs.queues import (
    MAINTENANCE_INTERVAL,
    RESULT_TTL,
    alive_workers,
    get_queue,
)
from llamafarm_core.jobs.records import FileStatus, JobPlan, TaskRecord, TaskStore, TaskView
from llamafarm_core.jobs.status import (
    JobPhase,
    JobState,
    JobSummary,
    describe_summary,
    job_states,
    rq_states,
    summarize_job,
    summary_of,
)
from llamafarm_core.jobs.status import describe as describe_states
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.settings import Settings

if TYPE_CHECKING:
    from redis import Redis
    from rq.queue import EnqueueData

ENDED_JOBS_KEPT = 4096  # ended jobs' summaries kept for polling (~1M files at 256 a job)
FULL_VIEW_EVERY = 2.0  # seconds between full task views while a request waits (see wait)

log = logging.getLogger("llamafarm.jobs")


@dataclass(frozen=True)
class Submission:
    """A submitted task; ``existing`` when the dataset already had one running (its id)."""

    record: TaskRecord
    existing: bool


@dataclass(frozen=True)
class Cancellation:
    view: TaskView
    cancelled_files: list[str] = field(default_factory=list)

    @property
    def done_files(self) -> list[str]:
        return [h for h, s in self.view.files.items() if s.done]

    @property
    def running_files(self) -> list[str]:
        return [h for h, s in self.view.files.items() if s == FileStatus.PROCESSING]


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def dataset_key(namespace: str, project: str, dataset: str) -> str:
    """Redis key naming the task that owns a dataset's processing right now."""
    return f"llamafarm:dataset-task:{namespace}/{project}/{dataset}"


MIN_JOB_FILES = 64  # files per job when a task is split for several workers (see files_per_job)


def files_per_job(files: int, setting: int, workers: int) -> int:
    """Files per job for a task of ``files``: ``setting`` (``LF_JOB_BATCH_FILES``), or fewer
    when several workers are alive, so that each gets about two jobs (never fewer than
    :data:`MIN_JOB_FILES` a job, and never more than ``setting``).

    A job is the pipeline's unit: it parses, embeds and writes its files in one group, and
    each job begins with parsing the embedder waits for and ends with a write it doesn't
    overlap, so one worker does best with big jobs (Cranfield, one worker: 512 files a job
    processed in 21.7-21.9 s, 256 a job in 23.4-24.0 s). Several workers need enough jobs to
    share: 1,400 files in jobs of 512 give two workers 888 and 512 files; in jobs of 350,
    700 each."""
    setting = max(1, setting)
    if workers <= 1 or files <= 0:
        return setting
    return min(setting, max(MIN_JOB_FILES, -(-files // (2 * workers))))


class JobService:
    """One per server process; holds a lazily created Redis client."""

    def __init__(self, settings: Settings, registry: Registry) -> None:
        self.settings = settings
        self.registry = registry
        self.url = redis_url(settings)
        self.store = TaskStore(settings)
        self._redis: Redis | None = None
        # Summaries of ended jobs by their outcome file's identity, for polling (see summary).
        self._ended: OrderedDict[str, tuple[StatKey, JobSummary]] = OrderedDict()
        self._ended_lock = threading.Lock()

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            self._redis = connect(self.url)
        return self._redis

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None

    # -- health ------------------------------------------------------------------------

    def ping(self) -> None:
        with redis_errors(self.url):
            self.redis.ping()

    def alive_workers(self) -> int:
        with redis_errors(self.url):
            return alive_workers(self.redis)

    # -- submit ------------------------------------------------------------------------

    def plan(
        self, namespace: str, project: str, dataset: str, file_hashes: list[str], function: str
    ) -> TaskRecord:
        task_id = str(uuid.uuid4())
        files = list(dict.fromkeys(file_hashes))  # once each, in order
        size = files_per_job(len(files), self.settings.job_batch_files, self.alive_workers())
        jobs = [
            JobPlan(job_id=f"{task_id}-{n:04d}", files=files[start : start + size])
            for n, start in enumerate(range(0, len(files), size))
        ]
        return TaskRecord(
            task_id=task_id,
            function=function,
            namespace=namespace,
            project=project,
            dataset=dataset,
            files=files,
            jobs=jobs,
        )

    def submit(
        self,
        namespace: str,
        project: str,
        dataset: str,
        file_hashes: list[str],
        function: str = PROCESS_FILES,
    ) -> Submission:
        """Enqueue a task over ``file_hashes`` — unless the dataset has a task still running,
        then return that one (two requests never process a file twice)."""
        key = dataset_key(namespace, project, dataset)
        with redis_errors(self.url):
            while True:
                owner = self._running_owner(namespace, project, key)
                if isinstance(owner, TaskRecord):
                    return Submission(owner, existing=True)
                record = self.plan(namespace, project, dataset, file_hashes, function)
                self.store.save(record)
                try:
                    if self._claim_and_enqueue(key, owner, record):
                        return Submission(record, existing=False)
                except BaseException:
                    self.store.discard(record)
                    raise
                self.store.discard(record)  # another request claimed the dataset: look again

    def _running_owner(self, namespace: str, project: str, key: str) -> TaskRecord | str | None:
        """The dataset's task if still running; else the key's current value (or None)."""
        task_id = _text(self.redis.get(key))
        if task_id is None:
            return None
        try:
            record = self.store.load(namespace, project, task_id)
        except Exception:
            return task_id  # its record is gone (project recreated): free to replace
        return record if not self.view(record).state.terminal else task_id

    def _claim_and_enqueue(self, key: str, previous: str | None, record: TaskRecord) -> bool:
        """Atomically: if ``key`` still holds ``previous``, point it at ``record`` and enqueue
        its jobs. False when another request got there first."""
        from redis.exceptions import WatchError

        queue = get_queue(self.redis)
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(key)
                current = pipe.get(key)
                if _text(current) != previous:
                    return False
                pipe.multi()
                pipe.set(key, record.task_id)
                queue.enqueue_many([self._job_data(record, plan) for plan in record.jobs], pipeline=pipe)
                pipe.execute()
                return True
            except WatchError:
                return False

    def _job_data(self, record: TaskRecord, plan: JobPlan) -> EnqueueData:
        from rq import Queue, Retry

        delays = list(self.settings.job_retry_delays)
        return Queue.prepare_data(
            record.function,
            kwargs={
                "task_id": record.task_id,
                "namespace": record.namespace,
                "project": record.project,
                "dataset": record.dataset,
                "file_hashes": plan.files,
                "instance": context.instance_id(self.settings.data_dir),
            },
            job_id=plan.job_id,
            timeout=self.settings.job_timeout_seconds,
            result_ttl=RESULT_TTL,
            failure_ttl=RESULT_TTL,
            retry=Retry(max=len(delays), interval=delays) if delays else None,
            meta={"task_id": record.task_id, "retries": len(delays)},
            description=f"{record.namespace}/{record.project}/{record.dataset}: {len(plan.files)} file(s)",
        )

    # -- read --------------------------------------------------------------------------

    def get(self, namespace: str, project: str, task_id: str, *, summary: bool = False) -> TaskView:
        record = self.store.load(namespace, project, task_id)
        return self.summary(record) if summary else self.view(record)

    def summary(self, record: TaskRecord) -> TaskView:
        """The task's state and counts for a progress poll (``status.describe_summary``):
        each ended job's outcome is read once per process (again only if its file is
        replaced), so a poll costs a ``stat`` per job and one Redis round trip, not a parse
        of every file's detail. Once the task
        has ended, its full view is saved (by :meth:`view`) and summarised."""
        if record.final is not None:
            return summary_of(record.final)
        versions = self.store.outcome_versions(record)
        summaries: dict[str, JobSummary] = {}
        with self._ended_lock:
            for job_id, version in versions.items():
                kept = self._ended.get(job_id)
                if kept is not None and kept[0] == version:
                    summaries[job_id] = kept[1]
                    self._ended.move_to_end(job_id)
        for plan in record.jobs:
            if plan.job_id not in versions or plan.job_id in summaries:
                continue
            outcome = self.store.outcome(record, plan.job_id)
            if outcome is None:  # unreadable: what RQ knows, as the full view does
                continue
            summaries[plan.job_id] = summarize_job(plan, JobState(JobPhase.DONE, outcome=outcome))
            with self._ended_lock:
                self._ended[plan.job_id] = (versions[plan.job_id], summaries[plan.job_id])
                while len(self._ended) > ENDED_JOBS_KEPT:
                    self._ended.popitem(last=False)
        if len(summaries) == len(record.jobs):
            return summary_of(self.view(record))  # every job ended: settle and save the final view
        with redis_errors(self.url):
            states = rq_states(self.redis, record, set(summaries))
        for plan in record.jobs:
            if plan.job_id in states:
                summaries[plan.job_id] = summarize_job(plan, states[plan.job_id])
        view = describe_summary(record, summaries)
        return summary_of(self.view(record)) if view.state.terminal else view

    def view(self, record: TaskRecord) -> TaskView:
        """The task's state (kept on disk once it has ended)."""
        if record.final is not None:
            return record.final
        outcomes = self.store.outcomes(record)
        with redis_errors(self.url):
            states = job_states(self.redis, record, outcomes)
        view = describe_states(record, states)
        if view.state.terminal:
            record.final = view
            self.store.save(record)
        return view

    def wait(self, record: TaskRecord, timeout: float | None = None, poll: float = 0.2) -> TaskView:
        """Block until the task ends. With no live worker, run its jobs here.

        A full view reads every ended job's outcome and asks Redis about the others: for a
        1,400-file task, tens of ms. Taken every ``poll`` seconds beside a worker that
        embeds on every core, it cost that worker ~5% of its time (measured). So a tick
        only looks whether every job has written its outcome (a few ``stat`` calls), and the
        full view (which also sees failed, cancelled and lost jobs) runs every
        :data:`FULL_VIEW_EVERY` seconds and once the outcomes are all there."""
        from llamafarm_core.jobs.worker import run_maintenance  # imports rq.worker

        deadline = None if timeout is None else time.monotonic() + timeout
        next_maintenance = next_view = 0.0
        ctx = context.JobContext(self.settings, self.registry)
        while True:
            now = time.monotonic()
            expired = deadline is not None and now > deadline
            if now >= next_view or expired or self.store.all_ended(record):
                view = self.view(record)
                if view.state.terminal or expired:
                    return view
                next_view = now + FULL_VIEW_EVERY
                with redis_errors(self.url):
                    if now >= next_maintenance:
                        run_maintenance(self.redis)
                        next_maintenance = now + MAINTENANCE_INTERVAL
                    if alive_workers(self.redis) == 0 and run_task_inline(self.redis, record, ctx):
                        next_view = 0.0
                        continue
            time.sleep(poll)

    # -- cancel ------------------------------------------------------------------------

    def stop_dataset(self, namespace: str, project: str, dataset: str, timeout: float = 60.0) -> None:
        """Before a dataset (or its project) is deleted: cancel its running task's waiting
        jobs and wait for the running ones, so no job writes chunks for a dataset that is
        gone. A task still running after ``timeout`` seconds is a 409."""
        key = dataset_key(namespace, project, dataset)
        with redis_errors(self.url):
            owner = self._running_owner(namespace, project, key)
        if not isinstance(owner, TaskRecord):
            return
        self.cancel(namespace, project, owner.task_id)
        view = self.wait(owner, timeout=timeout)
        if not view.state.terminal:
            raise Conflict(
                f"dataset {dataset!r} is being processed (task {owner.task_id}) and its running "
                f"jobs did not end within {timeout:g}s; try again when the task has ended"
            )

    def cancel(self, namespace: str, project: str, task_id: str) -> Cancellation:
        """Cancel the task's jobs that haven't started; running ones finish."""
        from rq.exceptions import InvalidJobOperation
        from rq.job import Job, JobStatus

        record = self.store.load(namespace, project, task_id)
        before = self.view(record)
        if before.state.terminal:
            return Cancellation(before)
        record.cancelled_at = time.time()
        self.store.save(record)
        cancelled: list[str] = []
        waiting = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.CREATED}
        with redis_errors(self.url):
            ids = [plan.job_id for plan in record.jobs]
            jobs = Job.fetch_many(ids, connection=self.redis, serializer=get_queue(self.redis).serializer)
            for plan, job in zip(record.jobs, jobs, strict=True):
                if job is None or job.get_status(refresh=False) not in waiting:
                    continue
                try:
                    job.cancel()
                    cancelled.extend(plan.files)
                except InvalidJobOperation:
                    continue
        return Cancellation(self.view(record), cancelled)
