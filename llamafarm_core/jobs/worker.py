"""The worker: RQ's in-process ``SimpleWorker`` (no fork per job, so a loaded embedding
model stays loaded) with a heartbeat thread while a job runs.

RQ's SimpleWorker renews nothing during a job: its started-registry entry simply lasts
``job timeout + 60 s``, so a worker killed mid-job would leave the job STARTED for up to an
hour. Here a thread renews the worker's record and the job's entry every
``HEARTBEAT_INTERVAL`` seconds with a short TTL, so a dead worker's job expires within
``HEARTBEAT_TTL`` and the next maintenance pass re-queues it (or fails it with a reason).

RQ's loop reconnects only while it waits for a job; a Redis error anywhere else (the
writes after a job, its heartbeat, its start) ends the loop, and the worker would exit
until someone restarted it. :func:`work_until_stopped` starts a new loop instead.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from rq.exceptions import StopRequested
from rq.worker import SimpleWorker, WorkerStatus

from llamafarm_core.jobs.queues import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_TTL,
    MAINTENANCE_INTERVAL,
    SERIALIZER,
    WORKER_TTL,
    get_queue,
    promote_due_retries,
)

if TYPE_CHECKING:
    from redis import Redis
    from rq.job import Job
    from rq.queue import Queue

log = logging.getLogger("llamafarm.jobs")

# Pauses before a new loop after one ended on an error: the next one each time a loop ends
# again soon (the last one repeats), the first again after a loop that lasted HEALTHY_SECONDS.
RESTART_PAUSES = (1.0, 2.0, 5.0, 15.0, 30.0)
HEALTHY_SECONDS = 60.0


class _QuietMaintenance(logging.Filter):
    """RQ logs every registry cleaning at INFO; ours run every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "cleaning" not in str(record.msg) or record.levelno > logging.INFO


def quiet_maintenance_logs() -> None:
    logger = logging.getLogger("rq.worker")
    if not any(isinstance(f, _QuietMaintenance) for f in logger.filters):
        logger.addFilter(_QuietMaintenance())


class LlamaFarmWorker(SimpleWorker):
    """A SimpleWorker that heartbeats during jobs and promotes due retries itself."""

    # Reconnect quickly after a Redis restart instead of backing off to a minute.
    max_connection_wait_time = 5.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("serializer", SERIALIZER)
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
        kwargs.setdefault("job_monitoring_interval", HEARTBEAT_INTERVAL)
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return HEARTBEAT_TTL

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        # RQ's default is worker_ttl + 60 s; a dead worker should vanish from the count sooner.
        super().heartbeat(timeout or self.worker_ttl, pipeline=pipeline)

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat_loop, args=(job, execution, stop), name=f"heartbeat-{job.id}", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _heartbeat_loop(self, job: Job, execution: Any, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_INTERVAL):
            try:
                self._beat(job, execution)
            except Exception as err:  # Redis away for a moment: the next beat may get through
                log.warning("heartbeat for job %s failed: %s", job.id, err)

    def _beat(self, job: Job, execution: Any) -> None:
        with self.connection.pipeline() as pipe:
            self.heartbeat(self.worker_ttl, pipeline=pipe)
            # xx: a job that just ended is not put back into the started registry.
            execution.heartbeat(job.started_job_registry, HEARTBEAT_TTL, pipeline=pipe)
            created = pipe.execute()[0]
            if created:  # our record had expired (a long pause): write it whole again
                pipe.hset(self.key, mapping=self.serialize())
                pipe.expire(self.key, self.worker_ttl)
                pipe.execute()

    def run_maintenance_tasks(self) -> None:
        for queue in self.queues:
            promote_due_retries(queue)
        super().run_maintenance_tasks()


def work_until_stopped(connection: Redis, *, name: str | None = None, burst: bool = False) -> None:
    """Run RQ's loop until the worker is asked to stop (SIGINT, SIGTERM, RQ's shutdown
    command) or, with ``burst``, finds the queue empty. A loop that ended otherwise ended on
    an error RQ logged ("found an unhandled exception, quitting": Redis away between two
    jobs, most often): after a pause (:data:`RESTART_PAUSES`) a new worker object registers
    and takes jobs again, with the model this process loaded still loaded."""
    failures, last = 0, None
    while True:
        started = time.monotonic()
        try:
            worker = make_worker(connection, name=name)  # RQ asks Redis already here
        except Exception as err:
            log.warning("worker: cannot register (%s: %s)", type(err).__name__, err)
        else:
            last = worker
            try:
                worker.work(burst=burst, logging_level="INFO")
            except StopRequested:
                return
            except Exception as err:  # RQ's own start or teardown hit Redis while it was away
                log.warning("worker %s: %s: %s", worker.name, type(err).__name__, err)
            else:
                if burst or _asked_to_stop(worker):
                    return
        failures = 0 if time.monotonic() - started >= HEALTHY_SECONDS else failures + 1
        pause = RESTART_PAUSES[min(max(failures - 1, 0), len(RESTART_PAUSES) - 1)]
        log.warning("worker stopped on an error; a new one starts in %.0f s", pause)
        if not _pause(last, pause):
            return


def _asked_to_stop(worker: LlamaFarmWorker | None) -> bool:
    return worker is not None and (worker._stop_requested or worker._shutdown_requested_date is not None)


def _pause(worker: LlamaFarmWorker | None, seconds: float) -> bool:
    """Sleep ``seconds``; False when a stop was asked meanwhile (the last worker's signal
    handlers are still installed: they mark it, or raise StopRequested)."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if _asked_to_stop(worker):
                return False
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    except StopRequested:
        return False
    return not _asked_to_stop(worker)


def make_worker(connection: Redis, name: str | None = None, **kwargs: Any) -> LlamaFarmWorker:
    quiet_maintenance_logs()
    return LlamaFarmWorker([get_queue(connection)], connection=connection, name=name, **kwargs)


def run_maintenance(connection: Redis) -> None:
    """Promote due retries and clean RQ's registries (abandoned jobs → retried or failed)."""
    quiet_maintenance_logs()
    queue = get_queue(connection)
    promote_due_retries(queue)
    # An unregistered worker object: clean_registries needs one for the intermediate queue.
    LlamaFarmWorker([queue], connection=connection, prepare_for_work=False).clean_registries()
