"""Background work for notices: one task per e-mail, taking only the notice's id.

The id is all the task queue keeps (django-tasks-db stores a task's arguments and result): the
titles an e-mail lists never pass through it.
"""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def deliver_notice(notice_id: int) -> str:
    status = services.deliver_email(notice_id=notice_id)
    return status.value if status is not None else "nothing to send"
