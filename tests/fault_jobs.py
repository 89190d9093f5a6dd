"""A job function for fault tests: marks itself started, then runs an exponential regex in C
(the worker's main thread is stuck: no Python signal handler or thread can run in it).

Workers import it as ``tests.fault_jobs.stuck_job`` (the repo is on their PYTHONPATH).
"""

from __future__ import annotations

import os
import re
from typing import Any

from llamafarm_core.jobs.context import JobContext
from llamafarm_core.jobs.functions import Attempt, run_file_job

STUCK = "tests.fault_jobs.stuck_job"


def _stuck(
    ctx: JobContext, ns: str, project: str, dataset: str, hashes: list[str], attempt: Attempt
) -> list[dict[str, Any]]:
    (ctx.settings.data_dir / f"stuck-{os.getpid()}").write_text(",".join(hashes))
    re.match(r"(a|aa)+$", "a" * 200 + "b")
    return []


def stuck_job(task_id: str, namespace: str, project: str, dataset: str, file_hashes: list[str], instance: str):  # type: ignore[no-untyped-def]
    return run_file_job(_stuck, task_id, namespace, project, dataset, file_hashes, instance)
