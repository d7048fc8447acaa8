"""No hot row (issue 10): writes to two projects of one organization do not wait for each other.

Before, every audited change added one to `organization.revision`, so on PostgreSQL a second
transaction of the same organization waited for the first one's commit at that UPDATE. Two
open transactions here change tasks of two projects; the second must finish while the first
still holds its locks. The control shows the test can see a wait: a second change of the
same task does wait (the task row is locked, rightly).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, OrgRevision, Task
from kanvaro.tasks import actions
from kanvaro.tasks.forms import StatusChange
from tests.factories import make_ctx, make_project

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def two_projects(db, org, owner):  # type: ignore[no-untyped-def]
    tasks = []
    for name in ("Apollo", "Gemini"):
        project = make_project(db, org, members=[owner], creator=owner, name=name)
        project.task_seq = 1
        task = Task(organization_id=org.id, project_id=project.id, number=1, title=f"{name} 1",
                    position=1)
        db.add(task)
        db.flush()
        tasks.append(task.id)
    db.commit()
    return tasks


def _impatient(engine) -> Session:  # type: ignore[no-untyped-def]
    session = Session(engine)
    session.execute(text("SET lock_timeout = '1s'"))
    return session


def test_status_changes_in_two_projects_do_not_wait_for_each_other(engine, settings, owner,
                                                                   two_projects, db):
    first, second = Session(engine), _impatient(engine)
    try:
        actions.change_task_status(make_ctx(first, owner, settings), two_projects[0],
                                   parse(StatusChange, {"status": "review"}))
        # The first transaction is open, its audit row and revision bump uncommitted.
        actions.change_task_status(make_ctx(second, owner, settings), two_projects[1],
                                   parse(StatusChange, {"status": "testing"}))
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 2
    assert db.scalar(select(func.sum(OrgRevision.value))) == 2  # both counted, nothing lost


def test_the_control_a_second_change_of_the_same_task_does_wait(engine, settings, owner,
                                                                two_projects):
    first, second = Session(engine), _impatient(engine)
    try:
        actions.change_task_status(make_ctx(first, owner, settings), two_projects[0],
                                   parse(StatusChange, {"status": "review"}))
        with pytest.raises(OperationalError, match="lock timeout"):
            actions.change_task_status(make_ctx(second, owner, settings), two_projects[0],
                                       parse(StatusChange, {"status": "testing"}))
    finally:
        second.rollback()
        first.rollback()
        first.close()
        second.close()
