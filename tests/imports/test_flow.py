"""CSV and Trello import over HTTP (SPEC §13): upload, the mapping with its preview, run, the
progress page, the report; real files; who gets 403 and 404."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from kanvaro.imports import jobs
from kanvaro.imports.models import ImportFingerprint, ImportJob
from kanvaro.models import AuditEntry, ProjectMember, Story, Task, TaskAssignee
from tests.factories import make_org, make_project, make_user
from tests.imports.helpers import csv_bytes, make_import
from tests.imports.test_reading import trello_board
from tests.web.markup import FULL_PAGE, field_error

CSV = "text/csv"


def upload(browser, project_id, data: bytes, name: str = "tasks.csv", kind: str = CSV):
    return browser.post(f"/projects/{project_id}/import", {"file": (name, data, kind)})


def uploaded(browser, project_id, data: bytes, name: str = "tasks.csv") -> str:
    r = upload(browser, project_id, data, name)
    assert r.status_code == 303, r.text[-1500:]
    assert re.fullmatch(r"/imports/\d+", r.headers["location"])
    return r.headers["location"]


def run(browser, url: str, mapping: dict[str, str] | None = None, *, settings, engine) -> str:
    r = browser.post(url + "/run", mapping or {})
    assert (r.status_code, r.headers["location"]) == (303, url), r.text[-1500:]
    jobs.run_once(settings, engine)
    return browser.get(url).text


def report(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def refused_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<td data-label="Line">(\d+)</td><td data-label="Reason">([^<]*)</td>', page)


def tasks_of(db, project) -> list[Task]:
    db.commit()
    return list(db.scalars(select(Task).where(Task.project_id == project.id).order_by(Task.number)))


# -- upload ------------------------------------------------------------------------------

def test_the_import_page_is_a_plain_multipart_form_reached_from_the_project_tabs(as_owner, project):
    page = as_owner.get(f"/projects/{project.id}").text
    assert f'href="/projects/{project.id}/import"' in page
    page = as_owner.get(f"/projects/{project.id}/import").text
    form = re.search(r'<form[^>]*id="import-form"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form and 'method="post"' in form
    assert f'action="/projects/{project.id}/import"' in form and 'hx-boost="false"' in form
    assert '<label for="file">CSV file or Trello export</label>' in page


def test_an_upload_guesses_the_mapping_and_previews_twenty_rows_with_their_errors(as_owner, project):
    rows = [[f"Task {n}", "", "Doing" if n % 2 else "nonsense", "2026-12-31"] for n in range(30)]
    url = uploaded(as_owner, project.id, csv_bytes(["Summary", "Notes", "Status", "Due"], rows))
    page = as_owner.get(url).text
    assert "“tasks.csv” read: 30 rows." in page
    for n, chosen in enumerate(["title", "description", "status", "due_date"]):
        select_ = re.search(rf'<select id="map_{n}" name="map_{n}">(.*?)</select>', page, re.DOTALL).group(1)
        assert f'<option selected value="{chosen}">' in select_
    lines = re.findall(r'<td data-label="Line">(\d+)</td>', page)
    assert lines == [str(n) for n in range(2, 22)]  # the first 20 rows
    assert page.count("Status: Not a valid choice.") == 10 and page.count(">Ready<") == 10
    assert 'formaction="' + url + '/run"' in page and "Import 30 rows" in page


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "empty.csv", "The file is empty; choose one with a header line and rows."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "This is not a CSV file or a Trello JSON export (it holds binary data)."),
    (b"Title\nok\n", "sheet.xlsx", "Choose a .csv file or a Trello .json export (save a spreadsheet as CSV first)."),
    (b'{"boards": []}', "board.json", "This JSON file is not a Trello board export (it has no lists and cards)."),
])
def test_an_empty_or_foreign_file_is_422_with_the_message_next_to_the_field(as_owner, db, project, data,
                                                                          name, message):
    r = upload(as_owner, project.id, data, name)
    assert r.status_code == 422 and r.text.startswith(FULL_PAGE)
    assert field_error(r.text, "file") == message
    db.commit()
    assert db.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_no_file_chosen_is_422(as_owner, project):
    r = as_owner.post(f"/projects/{project.id}/import", {"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 422
    assert field_error(r.text, "file") == "Choose a CSV file or a Trello JSON export."


def test_a_file_over_the_limit_is_413(as_owner, project, settings):
    # An import takes a file up to KANVARO_MAX_UPLOAD_BYTES, as an attachment does.
    big = b"Title\n" + b"x" * (settings.max_upload_bytes + 10)
    r = upload(as_owner, project.id, big)
    assert r.status_code == 413


# -- mapping -----------------------------------------------------------------------------

def test_saving_the_mapping_needs_a_title_and_each_field_once(as_owner, db, project):
    url = uploaded(as_owner, project.id, csv_bytes(["A", "B", "C"], [["x", "y", "z"]]))
    r = as_owner.post(url, {"map_0": "description", "map_1": "ignore", "map_2": "ignore"})
    assert r.status_code == 422 and field_error(r.text, "map_0") == "Map one column to Title."
    r = as_owner.post(url, {"map_0": "title", "map_1": "title", "map_2": "bogus"})
    assert r.status_code == 422
    assert field_error(r.text, "map_1") == "Title is already the field of column “A”."
    assert field_error(r.text, "map_2") == "Not a valid choice."
    assert 'class="error-summary"' in r.text
    r = as_owner.post(url, {"map_0": "title", "map_1": "description", "map_2": "ignore"})
    assert (r.status_code, r.headers["location"]) == (303, url + "#preview")
    db.commit()
    job = db.scalar(select(ImportJob))
    assert job.mapping == {"0": "title", "1": "description", "2": "ignore"} and job.status == "mapping"
    page = as_owner.get(url).text
    assert '<option selected value="description">' in page and "Columns saved" in page


def test_running_with_a_bad_mapping_is_422_and_queues_nothing(as_owner, db, project):
    url = uploaded(as_owner, project.id, csv_bytes(["A"], [["x"]]))
    r = as_owner.post(url + "/run", {"map_0": "ignore"})
    assert r.status_code == 422 and field_error(r.text, "map_0") == "Map one column to Title."
    db.commit()
    assert db.scalar(select(ImportJob.status)) == "mapping"


# -- run, progress, report ----------------------------------------------------------------

def test_run_shows_progress_then_the_report_of_created_and_refused_rows(as_owner, db, project, member,
                                                                       settings, engine):
    story = Story(organization_id=project.organization_id, project_id=project.id, title="Login flow")
    db.add(story)
    db.commit()
    data = csv_bytes(
        ["Title", "Description", "Status", "Priority", "Assignee", "Story", "Points", "Due date", "Labels"],
        [["Fix login", "It *breaks*", "In progress", "High", member.email, "login flow", "3", "31/12/2026", "bug; ui"],
         ["", "no title", "", "", "", "", "", "", ""],
         ["Bad date", "", "", "", "", "", "", "2026-02-30", ""],
         ["Stranger", "", "", "", "nobody@else.test", "", "", "", ""],
         ["Plain", "", "", "", "", "", "", "", ""]])
    url = uploaded(as_owner, project.id, data)
    r = as_owner.post(url + "/run", {})
    assert r.status_code == 303
    waiting = as_owner.get(url).text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting
    bar = re.search(r'<div id="progress"[^>]*>', waiting).group(0)
    assert 'hx-get="' + url + '"' in bar and 'hx-trigger="every 1s"' in bar and 'hx-swap="outerHTML"' in bar
    assert '<progress id="import-bar" max="5" value="0"></progress>' in waiting and "0 of 5 rows" in waiting

    assert jobs.run_once(settings, engine) == 1
    page = as_owner.get(url).text
    assert "http-equiv" not in page and "hx-trigger" not in page
    assert report(page) == {"Tasks created": "2", "Already imported": "0", "Refused": "3"}
    assert refused_rows(page) == [
        ("3", "Title: Enter a title."), ("4", "Due date: Not a valid date value."),
        ("5", "No member of this project has the email, handle or name “nobody@else.test”.")]
    fix, plain = tasks_of(db, project)
    assert (fix.title, fix.status, fix.priority, fix.story_id, fix.story_points, fix.due_date) == (
        "Fix login", "in-progress", "high", story.id, 3, date(2026, 12, 31))
    assert fix.description == "It *breaks*\n\nLabels: bug, ui" and "<em>breaks</em>" in fix.description_html
    assert list(db.scalars(select(TaskAssignee.user_id).where(TaskAssignee.task_id == fix.id))) == [member.id]
    assert plain.title == "Plain" and plain.status == "todo"


def test_the_poll_answers_the_progress_fragment_alone(as_owner, project, db):
    url = uploaded(as_owner, project.id, csv_bytes(["Title"], [["a"], ["b"]]))
    as_owner.post(url + "/run", {})
    r = as_owner.get(url, headers={"HX-Request": "true"})
    assert r.status_code == 200 and not r.text.startswith(FULL_PAGE)
    assert r.text.lstrip().startswith('<div id="progress"') and "0 of 2 rows" in r.text


def test_the_whole_import_is_audited_one_task_created_per_task(as_owner, db, project, settings, engine):
    url = uploaded(as_owner, project.id, csv_bytes(["Title"], [["a"], ["b"], ["c"]]))
    run(as_owner, url, settings=settings, engine=engine)
    db.commit()
    actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["import.created", "import.started", "task.created", "task.created",
                       "task.created", "import.finished"]
    finished = db.scalar(select(AuditEntry).where(AuditEntry.action == "import.finished"))
    assert finished.changes["created"] == [None, 3] and finished.actor_id is not None


def test_the_same_file_twice_creates_nothing_the_second_time(as_owner, db, project, settings, engine):
    data = csv_bytes(["Title", "Notes"], [["One", "a"], ["Two", "b"], ["One", "a"]])
    first = run(as_owner, uploaded(as_owner, project.id, data), settings=settings, engine=engine)
    assert report(first) == {"Tasks created": "2", "Already imported": "1", "Refused": "0"}
    second_url = uploaded(as_owner, project.id, data)
    assert as_owner.get(second_url).text.count(">Already imported<") == 3  # the preview says so
    second = run(as_owner, second_url, settings=settings, engine=engine)
    assert report(second) == {"Tasks created": "0", "Already imported": "3", "Refused": "0"}
    assert [t.title for t in tasks_of(db, project)] == ["One", "Two"]
    assert db.scalar(select(func.count()).select_from(ImportFingerprint)) == 2


def test_a_deleted_task_may_be_imported_again(as_owner, db, project, settings, engine):
    data = csv_bytes(["Title"], [["Once"]])
    run(as_owner, uploaded(as_owner, project.id, data), settings=settings, engine=engine)
    [task] = tasks_of(db, project)
    assert as_owner.post(f"/tasks/{task.id}/delete").status_code == 303
    page = run(as_owner, uploaded(as_owner, project.id, data), settings=settings, engine=engine)
    assert report(page)["Tasks created"] == "1"


@pytest.mark.parametrize(("name", "data"), [
    ("bom.csv", csv_bytes(["Title", "Due date"], [["Café", "2026-12-31"], ["Thé", ""]], bom=True)),
    ("semicolons.csv", csv_bytes(["Title", "Due date"], [["Café", "2026-12-31"], ["Thé", ""]], sep=";")),
    ("newlines.csv", b'Title,Description\r\nCaf\xc3\xa9,"line one\r\nline two"\r\nTh\xc3\xa9,\r\n'),
])
def test_real_files_bom_semicolons_and_quoted_newlines(as_owner, db, project, settings, engine, name, data):
    page = run(as_owner, uploaded(as_owner, project.id, data, name), settings=settings, engine=engine)
    assert report(page)["Tasks created"] == "2"
    first, second = tasks_of(db, project)
    assert (first.title, second.title) == ("Café", "Thé")
    if name == "newlines.csv":
        assert first.description == "line one\r\nline two"
    else:
        assert first.due_date == date(2026, 12, 31)


def test_a_broken_row_is_reported_with_its_line_and_the_rest_imported(as_owner, db, project, settings, engine):
    data = b"Title,Points\nOne,1\nTwo,2,surplus\nThree,3\n"
    page = run(as_owner, uploaded(as_owner, project.id, data), settings=settings, engine=engine)
    assert report(page) == {"Tasks created": "2", "Already imported": "0", "Refused": "1"}
    assert refused_rows(page) == [("3", "Has 3 cells; the header has 2.")]
    assert [t.title for t in tasks_of(db, project)] == ["One", "Three"]


def test_a_trello_export_imports_lists_checklists_labels_and_members(as_owner, db, org, project, owner,
                                                                    member, settings, engine):
    db.get(type(member), member.id).handle = "mia"
    db.commit()
    url = uploaded(as_owner, project.id, json.dumps(trello_board()).encode(), "board.json")
    page = as_owner.get(url).text
    assert "<select" not in page and "2 archived cards are left out." in page
    assert "Import 4 cards" in page
    page = run(as_owner, url, settings=settings, engine=engine)
    assert report(page) == {"Tasks created": "4", "Already imported": "0", "Refused": "0"}
    plan, build, ship, dream = tasks_of(db, project)
    assert (plan.status, build.status, ship.status, dream.status) == ("todo", "in-progress", "completed", "todo")
    assert plan.description == ("The **plan**\n\n**Steps**\n\n- [x] Draft\n- [ ] Review\n\n"
                                "Labels: bug, green")
    assert plan.due_date == date(2026, 12, 31)
    assert dream.description == "Labels: Someday"

    def people(task):
        return sorted(db.scalars(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task.id)))
    assert people(plan) == [member.id]  # by username, matched to the handle
    assert people(build) == [owner.id]  # by full name; the stranger is noted instead
    assert build.description == "Members: Stranger Danger"
    again = run(as_owner, uploaded(as_owner, project.id, json.dumps(trello_board()).encode(), "board.json"),
                settings=settings, engine=engine)
    assert report(again)["Already imported"] == "4"


# -- who may --------------------------------------------------------------------------------

def test_without_task_create_every_import_route_is_403(browser, db, org, project, owner):
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    job = make_import(db, org, project, owner)
    db.commit()
    browser.login_as(viewer)
    assert browser.get(f"/projects/{project.id}/import").status_code == 403
    assert upload(browser, project.id, b"Title\nx\n").status_code == 403
    assert browser.get(f"/imports/{job.id}").status_code == 403
    assert browser.post(f"/imports/{job.id}", {"map_0": "title"}).status_code == 403
    assert browser.post(f"/imports/{job.id}/run", {}).status_code == 403
    assert f'href="/projects/{project.id}/import"' not in browser.get(f"/projects/{project.id}").text


def test_another_organizations_project_and_import_are_404(browser, db, org, project, owner):
    other = make_org(db, "Globex")
    intruder = make_user(db, other, role="owner")
    job = make_import(db, org, project, owner)
    db.commit()
    browser.login_as(intruder)
    assert browser.get(f"/projects/{project.id}/import").status_code == 404
    assert upload(browser, project.id, b"Title\nx\n").status_code == 404
    for r in (browser.get(f"/imports/{job.id}"), browser.post(f"/imports/{job.id}", {"map_0": "title"}),
              browser.post(f"/imports/{job.id}/run", {})):
        assert r.status_code == 404 and "tasks.csv" not in r.text


def test_a_project_one_is_not_in_hides_its_imports(browser, db, org, owner):
    outsider = make_user(db, org, role="team_member")
    secret = make_project(db, org, members=[owner], creator=owner, name="Secret")
    job = make_import(db, org, secret, owner)
    db.commit()
    browser.login_as(outsider)
    assert browser.get(f"/imports/{job.id}").status_code == 404
    assert browser.get(f"/projects/{secret.id}/import").status_code == 404


def test_a_running_import_keeps_its_mapping(as_owner, db, org, project, owner):
    job = make_import(db, org, project, owner, status="queued")
    db.commit()
    r = as_owner.post(f"/imports/{job.id}", {"map_0": "title", "map_1": "ignore"})
    assert r.status_code == 409 and "Waiting to start" in r.text
    assert as_owner.post(f"/imports/{job.id}/run", {}).status_code == 303  # a second click: no-op
    db.commit()
    assert db.get(ImportJob, job.id).mapping == {"0": "description", "1": "title"}


def test_only_the_uploader_maps_and_runs_an_import(as_owner, client, settings, engine, db, project, member):
    # The job acts as the one who uploaded it: nobody else may start it in their name.
    from tests.factories import Browser

    url = uploaded(as_owner, project.id, csv_bytes(["Title"], [["Mine"]]))
    other = Browser(client, settings, engine).login_as(member)
    assert other.get(url).status_code == 200  # progress and mapping are visible to the project
    assert other.post(url, {"map_0": "title"}).status_code == 403
    assert other.post(url + "/run", {"map_0": "title"}).status_code == 403
    db.commit()
    assert db.scalars(select(ImportJob.status)).all() == ["mapping"]
