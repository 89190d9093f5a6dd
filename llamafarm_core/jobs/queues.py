"""The queue, its timings, and the maintenance any process may run on it.

Maintenance (re-queue or fail jobs whose worker died, promote retries that are due) runs in
workers, in ``serve``'s supervisor and in a request waiting for its task, so recovery never
depends on one particular process staying alive. It is safe to run concurrently: registry
cleanup takes RQ's maintenance lock, and promoting a retry removes it from the schedule
atomically before enqueueing it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

log = logging.getLogger("llamafarm.jobs")

QUEUE_NAME = "llamafarm"
SERIALIZER = "rq.serializers.JSONSerializer"

# A running job's entry in RQ's started registry lives this long unless its worker renews
# it (every HEARTBEAT_INTERVAL s); a worker killed mid-job is noticed within this + one
# maintenance pass.
HEARTBEAT_TTL = 20
HEARTBEAT_INTERVAL = 5
# A worker's own record expires this long after its last heartbeat; health counts live ones.
WORKER_TTL = 20
# How often workers run maintenance between jobs.
MAINTENANCE_INTERVAL = 5
# How long finished jobs keep their result in Redis (task records on disk keep it forever).
RESULT_TTL = 7 * 24 * 3600


def get_queue(connection: Redis) -> Queue:
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection, serializer=SERIALIZER)


def alive_workers(connection: Redis) -> int:
    """Workers of our queue whose record hasn't expired (they heartbeat every few seconds)."""
    from rq import worker_registration

    keys = sorted(worker_registration.get_keys(queue=get_queue(connection)))
    if not keys:
        return 0
    with connection.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.exists(key)
        return sum(1 for found in pipe.execute() if found)


def promote_due_retries(queue: Queue) -> int:
    """Enqueue retries whose backoff has passed. Returns how many were enqueued.

    RQ's scheduler would do this from a forked process per worker; doing it here keeps
    workers single-process and lets any of our processes do it.
    """
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    registry = queue.scheduled_job_registry
    promoted = 0
    for job_id in registry.get_jobs_to_schedule(int(time.time())):
        try:
            registry.requeue(job_id)  # ZREM first: only one process wins each job
            promoted += 1
        except InvalidJobOperation:
            continue  # another process promoted it
        except NoSuchJobError:
            queue.connection.zrem(registry.key, job_id)
    return promoted
