"""Background work for availability checks: one task per chunk of systems of a check session.

With `TOSHOKAN_FEDERATION["RUNNER"] = "tasks"` a check is split into chunks that any worker on any
machine may take (docs/federation-deployment.md). The task carries only ids, the ISBNs and the
deadline; the worker reads the systems from its own registry (the same database), so an endpoint is
never taken from the queue. It writes answers into the shared "federation" cache as they arrive.
"""

from __future__ import annotations

import asyncio
import os
import socket

from django_tasks import task

from . import checks


@task()
def run_check_chunk(
    session: str, index: int, systemids: list[str], isbns: list[str], deadline_at: float
) -> dict[str, object]:
    from . import selectors

    registry = selectors.registry()
    systems = [s for s in (registry.system(sid) for sid in systemids) if s is not None]
    from .engine import _loop_factory

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:  # uvloop when installed
        answered = runner.run(
            checks.run_chunk(session, index, systems, isbns, deadline_at, answer_cache=checks._answer_cache())
        )
    # Who ran it: a deployment (and its test) can see that the work was shared out.
    return {
        "session": session[:6],
        "chunk": index,
        "answers": answered,
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
