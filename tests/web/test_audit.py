"""The audit log page: who may read it, what it shows (sentences with links, labels, times),
filters and pages, in a fixed number of queries, never another organization's names."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from kanvaro.models import AuditEntry, CustomRole, Project, Story, Task
from tests.factories import make_org, make_project, make_user
from tests.sqlcount import count_sql


def add_entries(db, org, actor, n, *, action="project.updated", entity_type="project", start=1):
    db.execute(insert(AuditEntry), [
        {"organization_id": org.id, "actor_id": actor.id if actor else None, "action": action,
         "entity_type": entity_type, "entity_id": start + i, "changes": {"name": [f"old {start + i}", f"new {start + i}"]},
         "created_at": datetime.now(UTC)}
        for i in range(n)
    ])
    db.commit()


def entity_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(
        r"<dt>Entity</dt><dd>(?:Project|Task|User|Custom role|Invitation) #(\d+)</dd>", page)]


def sentences(page: str) -> list[str]:
    """Each entry's sentence as HTML (its links included), newest first."""
    return re.findall(r'<li id="entry-\d+">.*?<div class="entry">\s*<p>(.*?)</p>', page, re.DOTALL)


def text(fragment: str) -> str:
    """What a reader sees of some HTML: the tags gone, the entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def visible_text(page: str) -> str:
    main = page[page.index("<main"):]
    return text(re.sub(r"<(script|style)\b.*?</\1>", "", main, flags=re.DOTALL))


@pytest.mark.parametrize("role, status", [
    ("owner", 200), ("admin", 200), ("project_manager", 403), ("team_member", 403),
    ("client", 403), ("viewer", 403),
])
def test_only_owners_and_admins_read_the_audit_log(browser, db, org, role, status):
    user = make_user(db, org, role=role)
    db.commit()
    browser.login_as(user)
    r = browser.get("/audit")
    assert r.status_code == status
    nav = browser.get("/projects").text
    assert ('href="/audit"' in nav) is (status == 200)


def test_entries_show_actor_action_entity_and_changes_newest_first(browser, db, org, owner):
    add_entries(db, org, owner, 3)
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert entity_ids(page) == [3, 2, 1]
    assert "Olive Owner" in page and "project.updated" in page
    assert "old 2" in page and "new 2" in page


def test_another_organizations_entries_never_show(browser, db, org, owner):
    other = make_org(db, "Other")
    stranger = make_user(db, other, role="owner", name="Stan Stranger")
    add_entries(db, other, stranger, 2, start=500)
    add_entries(db, org, owner, 1)
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert entity_ids(page) == [1] and "Stan Stranger" not in page


def test_filter_by_entity_type_and_actor(browser, db, org, owner):
    colleague = make_user(db, org, role="admin", name="Cal Colleague")
    add_entries(db, org, owner, 2, start=1)
    add_entries(db, org, colleague, 2, start=10)
    add_entries(db, org, owner, 1, action="task.created", entity_type="task", start=20)
    browser.login_as(owner)
    assert entity_ids(browser.get("/audit?entity_type=task").text) == [20]
    assert entity_ids(browser.get(f"/audit?actor={colleague.id}").text) == [11, 10]
    assert entity_ids(browser.get(f"/audit?entity_type=project&actor={owner.id}").text) == [2, 1]
    assert entity_ids(browser.get("/audit?actor=nonsense").text) == [20, 11, 10, 2, 1]


def test_the_log_is_paginated(browser, db, org, owner):
    add_entries(db, org, owner, 120)
    browser.login_as(owner)
    first = browser.get("/audit").text
    assert entity_ids(first) == list(range(120, 70, -1))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    third = browser.get("/audit?page=3").text
    assert entity_ids(third) == list(range(20, 0, -1))
    assert 'rel="next"' not in third and 'rel="prev"' in third
    filtered = browser.get(f"/audit?entity_type=project&actor={owner.id}&page=2").text
    assert f'href="?entity_type=project&amp;actor={owner.id}&amp;page=3" rel="next">Older<' in filtered
    assert f'href="?entity_type=project&amp;actor={owner.id}&amp;page=1" rel="prev">Newer<' in filtered


def test_team_actions_and_logins_appear_under_their_spec_names(browser, db, org, owner):
    member = make_user(db, org, role="viewer", email="vic@acme.test")
    db.commit()
    browser.login_as(owner)
    browser.post("/team/invitations", {"email": "new@example.com", "role": "viewer"})
    browser.post(f"/team/members/{member.id}/role", {"role": "team_member"})
    browser.post("/team/roles", {"name": "Auditor", "permissions": "audit:read"})
    page = browser.get("/audit").text
    for name in ("invitation.created", "user.role_changed", "role.created"):
        assert name in page
    # the codes stay in the details, as the machine-readable value of their labels
    assert '<data value="viewer">Viewer</data>' in page and '<data value="team_member">Team member</data>' in page


def test_login_failures_and_successes_are_in_the_log(browser, db, org, owner):
    browser.post("/login", {"email": "olive@acme.test", "password": "wrong password!"})
    browser.post("/login", {"email": "olive@acme.test", "password": "correct horse battery"})
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert "user.login_failed" in page and "user.logged_in" in page


# --- sentences -------------------------------------------------------------------------

def made(db, model, **where):
    db.commit()  # a new transaction, which sees what the app committed
    return db.scalar(select(model).filter_by(**where))


def test_sentences_link_what_exists_and_name_what_was_deleted(browser, db, org, owner):
    member = make_user(db, org, role="team_member", name="Jo Member")
    db.commit()
    browser.login_as(owner)
    assert browser.post("/projects", {"name": "Website", "members": str(member.id)}).status_code == 303
    project = made(db, Project, name="Website")
    assert browser.post(f"/projects/{project.id}/tasks", {"title": "Fix login"}).status_code == 303
    task = made(db, Task, title="Fix login")
    assert browser.post(f"/tasks/{task.id}/status", {"status": "review"}).status_code == 303
    me = f'<a href="/team#member-{owner.id}">Olive Owner</a>'

    said = sentences(browser.get("/audit").text)
    assert said == [
        f'{me} moved <a href="/tasks/{task.id}">1.1 Fix login</a> from To Do to Review',
        f'{me} created task <a href="/tasks/{task.id}">1.1 Fix login</a>',
        f'{me} created project <a href="/projects/{project.id}">1 Website</a>',
    ]

    assert browser.post(f"/tasks/{task.id}/delete").status_code == 303
    assert browser.post(f"/projects/{project.id}/delete", {"confirm": "1"}).status_code == 303
    page = browser.get("/audit").text
    assert f'href="/tasks/{task.id}"' not in page and f'href="/projects/{project.id}"' not in page
    assert sentences(page) == [
        f"{me} deleted project 1 Website",
        f"{me} deleted task Fix login",
        f"{me} moved Fix login (deleted) from To Do to Review",
        f"{me} created task 1.1 Fix login (deleted)",
        f"{me} created project Website (deleted)",
    ]


def test_team_changes_read_as_sentences_with_the_member_linked(browser, db, org, owner):
    jo = make_user(db, org, role="client", name="Jo Client")
    db.commit()
    browser.login_as(owner)
    browser.post("/team/invitations", {"email": "bo@example.com", "role": "team_member"})
    browser.post(f"/team/members/{jo.id}/role", {"role": "team_member"})
    browser.post("/team/roles", {"name": "Auditor", "permissions": "audit:read"})
    role = made(db, CustomRole, name="Auditor")
    browser.post(f"/team/members/{jo.id}/deactivate")
    me = f'<a href="/team#member-{owner.id}">Olive Owner</a>'
    assert sentences(browser.get("/audit").text) == [
        f'{me} deactivated <a href="/team#member-{jo.id}">Jo Client</a>',
        f'{me} created the custom role <a href="/team#role-{role.id}">Auditor</a>',
        f'{me} changed the role of <a href="/team#member-{jo.id}">Jo Client</a> from Client to Team member',
        f"{me} invited bo@example.com as Team member",
    ]
    browser.post(f"/team/roles/{role.id}/delete")
    said = sentences(browser.get("/audit").text)
    assert said[0] == f"{me} deleted the custom role Auditor"
    assert said[2] == f"{me} created the custom role Auditor (deleted)"


def test_codes_show_as_labels_and_stay_in_the_details(browser, db, org, owner, member, project):
    browser.login_as(owner)
    browser.post(f"/projects/{project.id}/tasks", {"title": "Ship", "priority": "critical"})
    task = made(db, Task, title="Ship")
    browser.post(f"/tasks/{task.id}/status", {"status": "in-progress"})
    browser.post(f"/projects/{project.id}", [
        ("name", "Launch"), ("status", "on_hold"), ("priority", "high"), ("version", str(project.version)),
        ("members", str(owner.id)), ("members", str(member.id))])
    browser.post("/team/invitations", {"email": "pm@example.com", "role": "project_manager"})
    page = browser.get("/audit").text
    said = [text(s) for s in sentences(page)]
    assert "Olive Owner invited pm@example.com as Project manager" in said
    assert "Olive Owner moved 1.1 Ship from To Do to In Progress" in said
    assert "Olive Owner edited project 1 Launch: status and priority" in said
    seen = visible_text(page)
    for code in ("in-progress", "on_hold", "project_manager", "story_points", "assignee_id"):
        assert code not in seen, code
    for code, label in (("in-progress", "In Progress"), ("on_hold", "On hold"), ("critical", "Critical"),
                        ("project_manager", "Project manager")):
        assert f'<data value="{code}">{label}</data>' in page
    assert "<summary>Details</summary>" in page and "<dt>Priority</dt>" in page


def test_times_are_utc_marked_for_the_readers_zone(browser, db, org, owner):
    db.execute(insert(AuditEntry).values(organization_id=org.id, actor_id=owner.id, action="user.logged_in",
                                         entity_type="user", entity_id=owner.id, changes={},
                                         created_at=datetime(2026, 3, 4, 5, 37, 9, tzinfo=UTC)))
    db.commit()
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert '<time datetime="2026-03-04T05:37:09Z" data-local>2026-03-04 05:37 UTC</time>' in page


def test_the_results_block_alone_answers_htmx(browser, db, org, owner):
    add_entries(db, org, owner, 2)
    browser.login_as(owner)
    r = browser.get("/audit?entity_type=project", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="results"')
    assert '<ol class="audit-log">' in r.text and len(sentences(r.text)) == 2
    assert "HX-Request" in r.headers.get("vary", "")


def _every_kind(db, org, owner, n):
    """n entries of each kind of entity, naming rows that exist and rows that are gone."""
    project = make_project(db, org, name=f"P{n}", creator=owner)
    story = Story(organization_id=org.id, project_id=project.id, title=f"S{n}")
    role = CustomRole(organization_id=org.id, name=f"R{n}", permissions=[])
    db.add_all([story, role])
    db.flush()
    task = Task(organization_id=org.id, project_id=project.id, number=n, title=f"T{n}", position=n)
    db.add(task)
    db.flush()
    rows = []
    for i in range(n):
        for kind, entity_id, action, changes in (
            ("task", task.id, "task.status_changed", {"status": ["todo", "review"]}),
            ("task", 10_000 + i, "task.updated", {"story_id": [story.id, None]}),
            ("task", 10_000 + i, "task.deleted", {"title": [f"Gone {i}", None]}),
            ("project", project.id, "project.updated", {"members": [[owner.id], []]}),
            ("story", story.id, "story.updated", {"title": ["a", "b"]}),
            ("role", role.id, "role.updated", {"permissions": [[], ["audit:read"]]}),
            ("invitation", 20_000 + i, "invitation.revoked", {"status": ["pending", "revoked"]}),
            ("user", owner.id, "user.role_changed", {"role": ["admin", "owner"]}),
        ):
            rows.append({"organization_id": org.id, "actor_id": owner.id, "action": action,
                         "entity_type": kind, "entity_id": entity_id, "changes": changes,
                         "created_at": datetime.now(UTC)})
    db.execute(insert(AuditEntry), rows)
    db.commit()


def test_the_number_of_queries_does_not_grow_with_the_entries(browser, engine, db, org, owner):
    browser.login_as(owner)
    counts = []
    for n in (1, 5):  # 8 entries, then 48 on the page (and more in the log)
        _every_kind(db, org, owner, n)
        with count_sql(engine) as sql:
            r = browser.get("/audit")
        assert r.status_code == 200
        counts.append(sql.count)
    assert len(sentences(r.text)) == 48
    assert counts[0] == counts[1], f"{counts}\n{sql}"


def test_names_of_another_organization_never_show(browser, db, org, owner):
    other = make_org(db, "Other")
    stranger = make_user(db, other, role="owner", name="Stan Stranger")
    theirs = make_project(db, other, name="Their secret project", creator=stranger)
    story = Story(organization_id=other.id, project_id=theirs.id, title="Their secret story")
    role = CustomRole(organization_id=other.id, name="Their secret role", permissions=[])
    db.add_all([story, role])
    db.flush()
    task = Task(organization_id=other.id, project_id=theirs.id, number=1, title="Their secret task", position=1)
    db.add(task)
    db.flush()
    # Entries of ours whose ids happen to be theirs (or that someone forged)
    db.execute(insert(AuditEntry), [
        {"organization_id": org.id, "actor_id": stranger.id, "action": action, "entity_type": kind,
         "entity_id": entity_id, "changes": changes, "created_at": datetime.now(UTC)}
        for kind, entity_id, action, changes in (
            ("task", task.id, "task.status_changed", {"status": ["todo", "review"]}),
            ("task", task.id, "task.updated", {"story_id": [None, story.id]}),
            ("project", theirs.id, "project.updated", {"status": ["planning", "active"]}),
            ("story", story.id, "story.updated", {"priority": ["low", "high"]}),
            ("role", role.id, "role.updated", {"permissions": [[], []]}),
            ("user", stranger.id, "user.deactivated", {"is_active": [True, False]}),
        )])
    db.commit()
    browser.login_as(owner)
    page = browser.get("/audit").text
    assert len(sentences(page)) == 6
    for secret in ("Stan Stranger", "Their secret"):
        assert secret not in page
    for href in (f"/tasks/{task.id}", f"/projects/{theirs.id}", f"/stories/{story.id}",
                 f"#role-{role.id}", f"#member-{stranger.id}"):
        assert f'href="{href}"' not in page and f'href="/team{href}"' not in page
    assert f"task #{task.id} (deleted)" in text(page)


def test_a_reader_who_may_not_see_a_project_gets_no_link_into_it(browser, db, org, owner, project):
    auditor_role = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    db.add(auditor_role)
    db.flush()
    reader = make_user(db, org, role="team_member", name="Rita Reader", custom_role_id=auditor_role.id)
    db.commit()
    browser.login_as(owner)
    browser.post(f"/projects/{project.id}/tasks", {"title": "Hidden work"})
    task = made(db, Task, title="Hidden work")
    browser.post(f"/tasks/{task.id}", {"title": "Renamed since", "priority": "medium", "status": "todo",
                                       "version": str(task.version)})
    browser.post(f"/tasks/{task.id}/status", {"status": "testing"})
    browser.login_as(reader)
    page = browser.get("/audit").text
    assert f'href="/tasks/{task.id}"' not in page and f'href="/projects/{project.id}"' not in page
    said = [text(s) for s in sentences(page)]
    assert said[0] == f"Olive Owner moved task #{task.id} from To Do to Testing"
    assert said[-1] == "Olive Owner created task 1.1 Hidden work"
    browser.login_as(owner)
    assert text(sentences(browser.get("/audit").text)[0]) == (
        "Olive Owner moved 1.1 Renamed since from To Do to Testing")
