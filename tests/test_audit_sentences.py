"""kanvaro.audit_log.sentences: one sentence per audit action, its links, deleted and hidden
entities, labels for codes; without a database (the names are given as `Known`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from markupsafe import Markup

from kanvaro import audit
from kanvaro.audit_log.parts import Found, Known
from kanvaro.audit_log.sentences import SENTENCES, describe
from kanvaro.routes import ROUTES
from kanvaro.web.urls import url_builder

url = url_builder(ROUTES)
KNOWN = Known(
    users={1: "Ann", 2: "Jo", 3: "Sam"},
    tasks={14: Found("3.14 Fix login"), 15: Found("3.15 Secret plan", visible=False)},
    projects={3: Found("3 Website")},
    stories={7: Found("Login flow"), 8: Found("Signup")},
    roles={5: Found("Auditor")},
    invitations={9: "bo@example.com"},
    gone={("task", 99): "Old task", ("project", 2): "2 Old site", ("story", 6): "Gone story"},
)
ANN, JO, SAM = "/team#member-1", "/team#member-2", "/team#member-3"


@dataclass
class E:
    action: str
    entity_type: str
    entity_id: int | None
    changes: Any = field(default_factory=dict)
    actor_id: int | None = 1
    task_id: int | None = None


def said(entry: E, known: Known = KNOWN) -> tuple[str, list[tuple[str, str]]]:
    line = describe(entry, known, url)
    return line.text, [(p.text, p.href) for p in line.parts if p.href]


# action, entity type, id, changes, actor -> the sentence, and its links
CASES: list[tuple[E, str, list[tuple[str, str]]]] = [
    (E("organization.created", "organization", 1, {"name": [None, "Acme"], "owner": [None, "ann@x.test"]}),
     "Ann created the organization Acme", [("Ann", ANN)]),
    (E("user.logged_in", "user", 1), "Ann logged in", [("Ann", ANN)]),
    (E("user.login_failed", "user", 2, actor_id=2), "A login as Jo failed", [("Jo", JO)]),
    (E("user.logged_out", "user", 1), "Ann logged out", [("Ann", ANN)]),
    (E("user.password_changed", "user", 1, {"other_sessions_ended": [None, 2]}),
     "Ann changed their password (2 other sessions ended)", [("Ann", ANN)]),
    (E("user.sessions_ended", "user", 1, {"sessions_ended": [None, 1]}),
     "Ann logged out everywhere else (1 other session ended)", [("Ann", ANN)]),
    (E("user.theme_changed", "user", 1, {"theme": ["system", "dark"]}),
     "Ann switched to the dark theme", [("Ann", ANN)]),
    (E("user.role_changed", "user", 2, {"role": ["client", "team_member"]}),
     "Ann changed the role of Jo from Client to Team member", [("Ann", ANN), ("Jo", JO)]),
    (E("user.deactivated", "user", 2, {"is_active": [True, False]}),
     "Ann deactivated Jo", [("Ann", ANN), ("Jo", JO)]),
    (E("project.created", "project", 3, {"name": [None, "Website"], "status": [None, "planning"],
                                         "members": [None, [1]]}),
     "Ann created project 3 Website", [("Ann", ANN), ("3 Website", "/projects/3")]),
    (E("project.updated", "project", 3, {"status": ["planning", "on_hold"]}),
     "Ann changed the status of project 3 Website from Planning to On hold",
     [("Ann", ANN), ("3 Website", "/projects/3")]),
    (E("project.deleted", "project", 2, {"name": ["Old site", None], "number": [2, None]}),
     "Ann deleted project 2 Old site", [("Ann", ANN)]),
    (E("story.created", "story", 7, {"title": [None, "Login flow"]}),
     "Ann created story Login flow", [("Ann", ANN), ("Login flow", "/stories/7")]),
    (E("story.updated", "story", 7, {"priority": ["medium", "critical"]}),
     "Ann changed the priority of story Login flow from Medium to Critical",
     [("Ann", ANN), ("Login flow", "/stories/7")]),
    (E("story.deleted", "story", 6, {"title": ["Gone story", None]}),
     "Ann deleted story Gone story", [("Ann", ANN)]),
    (E("task.created", "task", 14, {"title": [None, "Fix login"], "number": [None, "3.14"]}),
     "Ann created task 3.14 Fix login", [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("task.updated", "task", 14, {"assignee_id": [None, 2]}),
     "Ann assigned 3.14 Fix login to Jo", [("Ann", ANN), ("3.14 Fix login", "/tasks/14"), ("Jo", JO)]),
    (E("task.status_changed", "task", 14, {"status": ["review", "testing"]}),
     "Ann moved 3.14 Fix login from Review to Testing", [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("task.moved", "task", 14, {"position": [2048, 1024]}),
     "Ann ranked 3.14 Fix login higher", [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("task.deleted", "task", 99, {"title": ["Old task", None]}), "Ann deleted task Old task", [("Ann", ANN)]),
    (E("invitation.created", "invitation", 9, {"email": [None, "bo@example.com"], "role": [None, "team_member"]},
       actor_id=3),
     "Sam invited bo@example.com as Team member", [("Sam", SAM)]),
    (E("invitation.revoked", "invitation", 9, {"status": ["pending", "revoked"]}, actor_id=3),
     "Sam revoked the invitation for bo@example.com", [("Sam", SAM)]),
    (E("invitation.accepted", "invitation", 9, {"email": [None, "jo@x.test"], "user_id": [None, 2],
                                                "role": [None, "client"]}, actor_id=2),
     "Jo accepted the invitation and joined as Client", [("Jo", JO)]),
    (E("role.created", "role", 5, {"name": [None, "Auditor"], "permissions": [None, ["audit:read"]]}),
     "Ann created the custom role Auditor", [("Ann", ANN), ("Auditor", "/team#role-5")]),
    (E("role.updated", "role", 5, {"name": ["Reader", "Auditor"]}),
     "Ann renamed the custom role Auditor (was “Reader”)", [("Ann", ANN), ("Auditor", "/team#role-5")]),
    (E("role.deleted", "role", 4, {"name": ["Planner", None], "permissions": [["project:create"], None],
                                   "members": [[2], []]}),
     "Ann deleted the custom role Planner", [("Ann", ANN)]),
    (E("comment.created", "comment", 5, {"body": [None, "hi"]}, task_id=14),
     "Ann commented on 3.14 Fix login", [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("comment.updated", "comment", 5, {"body": ["hi", "hello"]}, task_id=15),
     "Ann edited a comment on task #15", [("Ann", ANN)]),  # hidden: not named
    (E("comment.deleted", "comment", 5, {"body": ["hi", None]}, task_id=99),
     "Ann deleted a comment on Old task (deleted)", [("Ann", ANN)]),
    (E("attachment.added", "attachment", 6, {"filename": [None, "plan.pdf"]}, task_id=14),
     "Ann attached plan.pdf to 3.14 Fix login", [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("attachment.deleted", "attachment", 6, {"filename": ["plan.pdf", None]}, task_id=14),
     "Ann removed plan.pdf from 3.14 Fix login", [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("task.watched", "task", 14), "Ann started watching 3.14 Fix login",
     [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("task.unwatched", "task", 14), "Ann stopped watching 3.14 Fix login",
     [("Ann", ANN), ("3.14 Fix login", "/tasks/14")]),
    (E("user.handle_changed", "user", 1, {"handle": ["ann", "ann.lee"]}),
     "Ann changed their handle from @ann to @ann.lee", [("Ann", ANN)]),
    (E("user.notifications_changed", "user", 1, {"mail_off": [[], ["commented"]]}),
     "Ann changed their notification settings", [("Ann", ANN)]),
    (E("notification.read", "user", 1, {"read": [None, 3]}), "Ann marked 3 notifications read",
     [("Ann", ANN)]),
    (E("calendar.token_created", "calendar_token", 4, {"replaced": [None, True]}),
     "Ann made a new calendar link", [("Ann", ANN)]),
    (E("calendar.token_revoked", "calendar_token", 4), "Ann turned off their calendar link",
     [("Ann", ANN)]),
    (E("webhook.created", "webhook", 6, {"url": [None, "https://ci.example/hook"], "events": [None, ["task.created"]]}),
     "Ann added a webhook to https://ci.example/hook", [("Ann", ANN)]),
    (E("webhook.deleted", "webhook", 6, {"url": ["https://ci.example/hook", None]}),
     "Ann deleted the webhook to https://ci.example/hook", [("Ann", ANN)]),
    (E("webhook.redelivered", "webhook", 6, {"delivery": ["a-1", "b-2"], "event": [None, "task.created"]}),
     "Ann redelivered a delivery of webhook #6", [("Ann", ANN)]),
    (E("token.created", "api_token", 4, {"name": [None, "Deploy"], "scope": [None, "write"]}),
     "Ann made the API token Deploy", [("Ann", ANN)]),
    (E("token.revoked", "api_token", 4, {"status": ["active", "revoked"], "name": ["Deploy", "Deploy"]}),
     "Ann revoked the API token Deploy", [("Ann", ANN)]),
    (E("import.created", "import", 5, {"filename": [None, "tasks.csv"], "kind": [None, "csv"], "rows": [None, 3]}),
     "Ann uploaded tasks.csv to import (import #5)", [("Ann", ANN)]),
    (E("import.updated", "import", 5, {"mapping": [{"0": "ignore"}, {"0": "title"}]}),
     "Ann changed the columns of import #5", [("Ann", ANN)]),
    (E("import.started", "import", 5, {"status": ["mapping", "queued"]}), "Ann started import #5",
     [("Ann", ANN)]),
    (E("import.finished", "import", 5, {"status": ["running", "done"], "created": [None, 1]}),
     "Ann's import #5 finished: 1 task created", [("Ann", ANN)]),
    (E("import.finished", "import", 5, {"status": ["running", "failed"], "created": [None, 0],
                                        "error": [None, "gone"]}),
     "Ann's import #5 stopped: 0 tasks created", [("Ann", ANN)]),
]


def test_every_audit_action_has_a_sentence():
    assert set(audit.ACTIONS) <= set(SENTENCES), set(audit.ACTIONS) - set(SENTENCES)
    assert {case[0].action for case in CASES} == set(SENTENCES)


@pytest.mark.parametrize("entry, sentence, links", CASES, ids=[c[0].action for c in CASES])
def test_each_action_reads_as_a_sentence_with_its_links(entry, sentence, links):
    assert said(entry) == (sentence, links)


def test_a_deleted_entity_is_named_as_recorded_without_a_link():
    assert said(E("task.status_changed", "task", 99, {"status": ["todo", "review"]})) == (
        "Ann moved Old task (deleted) from To Do to Review", [("Ann", ANN)])
    assert said(E("task.status_changed", "task", 100, {"status": ["todo", "review"]}))[0] == (
        "Ann moved task #100 (deleted) from To Do to Review")
    # the entry's own record first: a created task keeps its number
    assert said(E("task.created", "task", 101, {"title": [None, "Ship"], "number": [None, "3.9"]}))[0] == (
        "Ann created task 3.9 Ship (deleted)")
    assert said(E("story.updated", "story", 6, {"priority": ["low", "high"]}))[0] == (
        "Ann changed the priority of story Gone story (deleted) from Low to High")
    assert said(E("project.updated", "project", 2, {"status": ["active", "completed"]}))[0] == (
        "Ann changed the status of project 2 Old site (deleted) from Active to Completed")


def test_a_deletion_never_links_even_when_the_id_is_in_use_again():
    assert said(E("task.deleted", "task", 14, {"title": ["Older task", None]})) == (
        "Ann deleted task Older task", [("Ann", ANN)])


def test_an_entity_the_reader_may_not_open_is_named_as_recorded_only():
    assert said(E("task.status_changed", "task", 15, {"status": ["todo", "review"]})) == (
        "Ann moved task #15 from To Do to Review", [("Ann", ANN)])
    assert said(E("task.created", "task", 15, {"title": [None, "Plan"], "number": [None, "3.15"]}))[0] == (
        "Ann created task 3.15 Plan")


def test_people_who_are_gone_or_unknown():
    assert said(E("user.logged_in", "user", 40, actor_id=40)) == ("user #40 (deleted) logged in", [])
    assert said(E("task.status_changed", "task", 14, {"status": ["todo", "review"]}, actor_id=None))[0] == (
        "Someone moved 3.14 Fix login from To Do to Review")


def test_edits_of_one_field_and_of_several():
    def text(changes: dict[str, Any], kind: str = "task", entity_id: int = 14) -> str:
        return said(E(f"{kind}.updated", kind, entity_id, changes))[0]

    assert text({"title": ["Fix logn", "Fix login"]}) == "Ann renamed 3.14 Fix login (was “Fix logn”)"
    assert text({"due_date": [None, "2026-05-01"]}) == "Ann set the due date of 3.14 Fix login to 2026-05-01"
    assert text({"due_date": ["2026-05-01", None]}) == "Ann cleared the due date of 3.14 Fix login"
    assert text({"story_points": [3, 5]}) == "Ann changed the story points of 3.14 Fix login from 3 to 5"
    assert text({"description": ["a", "b"]}) == "Ann changed the description of 3.14 Fix login"
    assert text({"assignee_id": [2, None]}) == "Ann unassigned Jo from 3.14 Fix login"
    assert text({"assignee_id": [2, 3]}) == "Ann reassigned 3.14 Fix login from Jo to Sam"
    assert text({"status": ["todo", "completed"]}) == "Ann moved 3.14 Fix login from To Do to Completed"
    assert text({"title": ["a", "b"], "priority": ["low", "high"], "due_date": [None, "2026-01-02"]}) == (
        "Ann edited 3.14 Fix login: title, priority and due date")
    assert said(E("task.updated", "task", 14, {"story_id": [7, 8]}))[1][-2:] == [
        ("Login flow", "/stories/7"), ("Signup", "/stories/8")]
    assert text({"members": [[1], [1, 2, 3]]}, "project", 3) == "Ann added Jo and Sam to project 3 Website"
    assert text({"members": [[1, 2], [1]]}, "project", 3) == "Ann removed Jo from project 3 Website"
    assert text({"members": [[1, 2], [1, 3]]}, "project", 3) == (
        "Ann changed the members of project 3 Website: added Sam; removed Jo")
    assert text({"permissions": [["audit:read"], ["audit:read", "task:delete"]]}, "role", 5) == (
        "Ann changed the permissions of the custom role Auditor: added Delete tasks")


def test_custom_role_changes():
    def text(changes: dict[str, Any]) -> str:
        return said(E("user.role_changed", "user", 2, changes))[0]

    assert text({"custom_role": [None, "Auditor"]}) == "Ann gave Jo the custom role Auditor"
    assert text({"custom_role": ["Auditor", None]}) == "Ann took the custom role Auditor from Jo"
    assert text({"custom_role": ["Auditor", "Planner"]}) == "Ann changed the custom role of Jo from Auditor to Planner"
    assert text({"role": ["viewer", "admin"], "custom_role": [None, "Auditor"]}) == (
        "Ann changed the role of Jo from Viewer to Admin, and the custom role from none to Auditor")


def test_the_details_give_labels_with_the_codes_beside():
    line = describe(E("task.updated", "task", 14, {
        "status": ["todo", "in-progress"], "priority": ["medium", "critical"], "story_id": [None, 7],
        "assignee_id": [2, None], "story_points": [None, 3]}), KNOWN, url)
    shown = {c.label: (c.before and (c.before.text, c.before.code), c.after and (c.after.text, c.after.code))
             for c in line.changes}
    assert shown == {
        "Status": (("To Do", "todo"), ("In Progress", "in-progress")),
        "Priority": (("Medium", "medium"), ("Critical", "critical")),
        "Story": (None, ("Login flow", "7")),
        "Assignee": (("Jo", "2"), None),
        "Story points": (None, ("3", None)),
    }
    role = describe(E("role.created", "role", 5, {"permissions": [None, ["audit:read", "task:delete"]]}), KNOWN, url)
    assert role.changes[0].after is not None
    assert (role.changes[0].after.text, role.changes[0].after.code) == (
        "Read the audit log, Delete tasks", "audit:read,task:delete")


def test_an_action_without_a_sentence_yet_still_reads():
    assert said(E("task.archived", "task", 14))[0] == "Ann archived 3.14 Fix login"
    assert said(E("sprint.started", "sprint", 5))[0] == "Ann started sprint #5"


def test_odd_records_do_not_break_the_page():
    for changes in (None, [], {"status": "review"}, {"status": [1, 2, 3]}, {"members": [None, None]}):
        line = describe(E("task.updated", "task", 14, changes), KNOWN, url)
        assert line.text.startswith("Ann ")


def test_the_parts_are_plain_text_for_the_template_to_escape():
    line = describe(E("task.created", "task", 50, {"title": [None, "<b>x</b>"]}), KNOWN, url)
    assert line.text == "Ann created task <b>x</b> (deleted)"
    assert not any(isinstance(p.text, Markup) for p in line.parts)


def test_several_assignees_are_said_by_name():
    """Issue 12: `assignees` [before, after] (sorted ids) reads as people, not ids."""
    def text(changes: dict[str, Any]) -> str:
        return said(E("task.updated", "task", 14, changes))[0]

    assert text({"assignees": [[], [2, 3]]}) == "Ann assigned 3.14 Fix login to Jo and Sam"
    assert text({"assignees": [[2, 3], [3]]}) == "Ann unassigned Jo from 3.14 Fix login"
    assert text({"assignees": [[2], [3]]}) == "Ann reassigned 3.14 Fix login from Jo to Sam"
    assert said(E("task.updated", "task", 14, {"assignees": [[], [2, 3]]}))[1] == [
        ("Ann", ANN), ("3.14 Fix login", "/tasks/14"), ("Jo", JO), ("Sam", SAM)]
    line = describe(E("task.created", "task", 14, {"title": [None, "Fix login"], "assignees": [None, [2, 3]]}),
                    KNOWN, url)
    [change] = [c for c in line.changes if c.label == "Assignees"]
    assert (change.before, change.after.text) == (None, "Jo, Sam")
