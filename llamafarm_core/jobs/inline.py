"""Running one task's queued jobs inside the calling process, when no worker is alive.

Only the task's own jobs are taken, each atomically (moved from the queue to RQ's
intermediate list, as a worker's dequeue does), and run by the same worker class, so
status, retries, heartbeats and outcomes are exactly those of a worker run. The server uses
this so that synchronous processing works with no worker at all (tests, a bare API
process); asynchronous tasks wait for a worker instead.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from rq.timeouts import TimerDeathPenalty

from llamafarm_core.jobs import context
from llamafarm_core.jobs.queues import get_queue
from llamafarm_core.jobs.records import TaskRecord
from llamafarm_core.jobs.worker import LlamaFarmWorker

if TYPE_CHECKING:
    from redis import Redis

# Move one given job id from the queue to its intermediate list, if it is still queued.
_TAKE = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""


class InlineWorker(LlamaFarmWorker):
    """Runs in a server thread: job time limits by timer, not SIGALRM (main thread only)."""

    death_penalty_class = TimerDeathPenalty


def run_task_inline(connection: Redis, record: TaskRecord, ctx: context.JobContext) -> int:
    """Run every job of ``record`` that is queued right now; returns how many ran."""
    queue = get_queue(connection)
    take = connection.register_script(_TAKE)
    worker = InlineWorker([queue], connection=connection, name=f"inline-{uuid.uuid4().hex[:12]}")
    ran = 0
    with context.using(ctx):
        for plan in record.jobs:
            if not take(keys=[queue.key, queue.intermediate_queue_key], args=[plan.job_id]):
                continue
            job = queue.fetch_job(plan.job_id)
            if job is None:
                connection.lrem(queue.intermediate_queue_key, 1, plan.job_id)
                continue
            worker.execute_job(job, queue)
            ran += 1
    return ran
