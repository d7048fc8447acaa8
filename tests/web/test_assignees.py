"""Several assignees over HTTP (SPEC §8): the task form, the task page, cards and list rows,
and the `?assignee=` filter of the list and the board (any of a task's assignees)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Task
from kanvaro.tasks import actions
from kanvaro.tasks.forms import NewTask
from tests.factories import assign, assignee_ids, make_org, make_user
from tests.web.markup import field_error

HX = {"HX-Request": "true"}


@pytest.fixture
def mate(db, org, project):
    user = make_user(db, org, role="team_member", name="Sam Second")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.commit()
    return user


@pytest.fixture
def tasks(db, ctx, project, member, mate):
    """Pair (member and mate), Solo (mate), Nobody's."""
    made = {}
    for title, people in (("Pair", [member, mate]), ("Solo", [mate]), ("Nobody", [])):
        made[title] = actions.create_task(ctx, project.id, parse(NewTask, {
            "title": title, "assignees": [str(u.id) for u in people]}))
    db.commit()
    return made


def checkboxes(page: str) -> dict[str, bool]:
    """The assignees fieldset's choices: name -> checked."""
    box = re.search(r'<fieldset[^>]*id="assignees".*?</fieldset>', page, re.DOTALL)
    assert box, "no assignees fieldset"
    return {name: bool(checked) for checked, name in re.findall(
        r'<input type="checkbox" name="assignees" value="\d+"( checked)?> ([^<]+)</label>', box.group(0))}


def test_the_edit_form_offers_every_member_and_ticks_the_assignees(as_owner, tasks):
    page = as_owner.get(f"/tasks/{tasks['Solo'].id}/edit").text
    assert '<legend>Assignees</legend>' in page
    assert checkboxes(page) == {"Mia Member": False, "Olive Owner": False, "Sam Second": True}


def test_the_form_without_js_saves_repeated_assignees(as_owner, db, tasks, owner, member):
    task = tasks["Solo"]
    r = as_owner.post(f"/tasks/{task.id}", [("title", "Solo"), ("priority", "medium"),
                                            ("status", "todo"), ("version", "1"),
                                            ("assignees", str(owner.id)), ("assignees", str(member.id))])
    assert (r.status_code, r.headers["location"]) == (303, f"/tasks/{task.id}")
    assert assignee_ids(db, task.id) == sorted([owner.id, member.id])
    page = as_owner.get(f"/tasks/{task.id}").text
    facts = page[page.index('<dl class="facts">'):page.index("</dl>")]
    assert "<dt>Assignees</dt>" in facts and "Mia Member" in facts and "Olive Owner" in facts
    assert "Sam Second" not in facts
    assert '<span class="avatar hue-' in facts and ">MM</span>" in facts


def test_a_non_member_is_422_next_to_the_assignees_and_nothing_changes(as_owner, db, org, tasks, mate):
    outsider = make_user(db, org, name="Otto Outsider")
    stranger = make_user(db, make_org(db), name="Stan Stranger")
    db.commit()
    task = tasks["Solo"]
    for who in (outsider, stranger):
        r = as_owner.post(f"/tasks/{task.id}", [("title", "Changed"), ("priority", "medium"),
                                                ("status", "todo"), ("version", "1"),
                                                ("assignees", str(mate.id)), ("assignees", str(who.id))])
        assert r.status_code == 422
        assert "Not a valid choice" in field_error(r.text, "assignees")
        assert 'href="#assignees"' in r.text  # the summary links to the fieldset
        assert checkboxes(r.text)["Sam Second"] is True  # as sent
    db.refresh(task)
    assert (task.title, task.version, assignee_ids(db, task.id)) == ("Solo", 1, [mate.id])
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "task.updated")).first() is None


def test_creating_from_the_project_page_with_assignees(as_owner, db, project, member, mate):
    r = as_owner.post(f"/projects/{project.id}/tasks", [("title", "Together"),
                                                         ("assignees", str(member.id)),
                                                         ("assignees", str(mate.id))])
    assert r.status_code == 303
    db.commit()
    task = db.scalar(select(Task).where(Task.title == "Together"))
    assert assignee_ids(db, task.id) == sorted([member.id, mate.id])


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="/tasks/\d+">([^<]*)</a>', page[page.index('id="task-list"'):])


def card_titles(page: str) -> list[str]:
    return re.findall(r'<span class="num">[\d.]+</span> ([^<]*)</a></h3>', page)


@pytest.mark.parametrize(("who", "expected"), [
    ("member", ["Pair"]), ("mate", ["Pair", "Solo"]), ("none", ["Nobody"]), ("", ["Pair", "Solo", "Nobody"]),
])
def test_the_list_and_the_board_filter_by_any_assignee(as_owner, project, tasks, member, mate, who, expected):
    value = {"member": member.id, "mate": mate.id}.get(who, who)
    listed = as_owner.get(f"/projects/{project.id}?assignee={value}").text
    assert titles(listed) == expected
    board = as_owner.get(f"/projects/{project.id}/board?assignee={value}").text
    assert card_titles(board) == expected
    assert re.search(r'<span id="count-todo" class="count">(\d+)</span>', board)[1] == str(len(expected))
    if who:
        assert f'<option value="{value}" selected>' in board


def test_an_unknown_assignee_filter_is_no_filter(as_owner, db, org, project, tasks):
    outsider = make_user(db, org, name="Otto Outsider")
    db.commit()
    for value in (outsider.id, "999999", "abc", "-1"):
        board = as_owner.get(f"/projects/{project.id}/board?assignee={value}")
        assert board.status_code == 200 and card_titles(board.text) == ["Pair", "Solo", "Nobody"]


def test_cards_and_rows_show_each_assignee_and_the_comment_count(as_owner, db, project, tasks):
    db.execute(update(Task).where(Task.id == tasks["Pair"].id).values(comment_count=3))
    db.commit()
    board = as_owner.get(f"/projects/{project.id}/board").text
    card = re.search(rf'<li class="card" id="task-{tasks["Pair"].id}".*?</li>', board, re.DOTALL)[0]
    # one image, named for screen readers and as a tooltip; the initials inside it
    assert '<span class="avatars" role="img" title="Assigned to Mia Member, Sam Second">' in card
    assert ">MM</b>" in card and ">SS</b>" in card
    assert '<span class="n-comments" role="img" title="3 comments">3</span>' in card
    nobody = re.search(rf'<li class="card" id="task-{tasks["Nobody"].id}".*?</li>', board, re.DOTALL)[0]
    assert "avatars" not in nobody and "n-comments" not in nobody
    listed = as_owner.get(f"/projects/{project.id}").text
    row = re.search(rf'<tr id="task-{tasks["Pair"].id}">.*?</tr>', listed, re.DOTALL)[0]
    assert '<td data-label="Assignees">' in row and "<span>Mia Member, Sam Second</span>" in row
    assert '<span class="avatars" aria-hidden="true">' in row
    assert 'title="3 comments">3</span>' in row


def test_kept_cards_and_rows_follow_their_assignees_and_comment_counts(as_owner, db, project, tasks, owner):
    """Drawings are kept by what they show (tasks.controls.Kept): a new assignee or comment
    count is on the next page at once."""
    task = tasks["Nobody"]
    board_url, list_url = f"/projects/{project.id}/board", f"/projects/{project.id}"

    def card(page: str) -> str:
        return re.search(rf'<li class="card" id="task-{task.id}".*?</li>', page, re.DOTALL)[0]

    def row(page: str) -> str:
        return re.search(rf'<tr id="task-{task.id}">.*?</tr>', page, re.DOTALL)[0]

    assert "Olive Owner" not in card(as_owner.get(board_url).text)
    assert "Olive Owner" not in row(as_owner.get(list_url).text)
    assign(db, task, owner)  # written behind the app's back: no version, no revision
    db.execute(update(Task).where(Task.id == task.id).values(comment_count=1))
    db.commit()
    assert "Olive Owner" in card(as_owner.get(board_url).text)
    assert 'title="1 comment"' in card(as_owner.get(board_url).text)
    assert "Olive Owner" in row(as_owner.get(list_url).text)


def test_a_status_change_on_a_filtered_board_updates_the_filtered_counts(as_owner, project, tasks, mate):
    board = f"http://testserver/projects/{project.id}/board?assignee={mate.id}"
    r = as_owner.post(f"/tasks/{tasks['Solo'].id}/status", {"status": "review"}, htmx=True,
                      headers={"HX-Current-URL": board})
    assert r.status_code == 200
    counts = dict(re.findall(r'<span id="count-([\w-]+)" class="count" hx-swap-oob="true">(\d+)</span>', r.text))
    assert counts["todo"] == "1" and counts["review"] == "1"  # Pair and Solo, not Nobody


def test_without_js_a_change_on_a_filtered_board_comes_back_to_it(as_owner, project, tasks, mate):
    board = f"/projects/{project.id}/board?assignee={mate.id}"
    task = tasks["Solo"]
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"},
                      headers={"Referer": f"http://testserver{board}"})
    assert (r.status_code, r.headers["location"]) == (303, f"{board}#task-{task.id}")
    r = as_owner.post(f"/tasks/{task.id}/move", {"to": "top", "view": "board"},
                      headers={"Referer": f"http://testserver{board}"})
    assert r.headers["location"] == f"{board}#task-{task.id}"


def test_a_move_on_a_filtered_board_answers_the_filtered_column(as_owner, project, tasks, member):
    r = as_owner.post(f"/tasks/{tasks['Pair'].id}/move", {"to": "bottom", "view": "board"}, htmx=True,
                      headers={"HX-Current-URL": f"http://testserver/projects/{project.id}/board?assignee={member.id}"})
    assert r.status_code == 200
    assert re.findall(r'<li class="card" id="task-(\d+)"', r.text) == [str(tasks["Pair"].id)]
