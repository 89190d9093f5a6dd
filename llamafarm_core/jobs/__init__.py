"""Processing as RQ jobs on Redis.

``connection`` (which Redis), ``redis_server`` (the embedded one ``serve`` starts),
``queues`` (the queue, maintenance, live workers), ``worker`` (the in-process worker),
``functions`` (job functions, named by import path), ``records`` / ``status`` (tasks on disk
and their state), ``service`` (submit, wait, cancel: what the server calls), ``inline``
(running a task's jobs in-process when no worker is alive), ``supervisor`` (workers that
``serve`` starts) and ``processes`` (pid files, the data-dir lock).
"""
