"""Reading an uploaded file into rows: CSV dialects and encodings, broken rows, Trello exports;
and from a row's cells to the task form's data (kanvaro.imports.reading, trello, rows)."""

from __future__ import annotations

import json

import pytest

from kanvaro.imports import reading
from kanvaro.imports.reading import Unreadable, read
from kanvaro.imports.rows import Resolver, due_date_of, guess, status_of
from tests.imports.helpers import csv_bytes

HEADER = ["Title", "Description", "Due date"]


def test_a_utf8_bom_is_dropped_from_the_first_header_name():
    table = read(csv_bytes(HEADER, [["Café", "é", ""]], bom=True))
    assert table.header == HEADER
    assert table.rows == [[2, "Café", "é", ""]]


def test_semicolons_and_tabs_are_sniffed():
    for sep in (";", "\t"):
        table = read(csv_bytes(HEADER, [["Fix, then ship", "a;b", "2026-12-31"]], sep=sep))
        assert table.header == HEADER, sep
        assert table.rows[0][1:] == ["Fix, then ship", "a;b", "2026-12-31"]


def test_a_file_without_separators_is_one_column():
    table = read(b"Title\nOne\nTwo\n")
    assert table.header == ["Title"] and [r[1] for r in table.rows] == ["One", "Two"]


def test_quoted_newlines_stay_in_their_cell_and_line_numbers_follow_the_file():
    data = b'Title,Description\r\nFirst,"line one\r\nline two"\r\nSecond,plain\r\n'
    table = read(data)
    assert table.rows == [[2, "First", "line one\r\nline two"], [4, "Second", "plain"]]


def test_a_row_with_the_wrong_number_of_cells_is_refused_with_its_line_and_the_rest_kept():
    data = b"Title,Description\nOne,a\nTwo,b,extra\n\nThree\nFour,d\n"
    table = read(data)
    assert [r[0] for r in table.rows] == [2, 6]
    assert table.broken == [{"row": 3, "reason": "Has 3 cells; the header has 2."},
                            {"row": 5, "reason": "Has 1 cell; the header has 2."}]
    assert table.total == 4


def test_windows_1252_is_read_when_the_file_is_not_utf8():
    table = read("Title\nCrème brûlée – 5 €\n".encode("cp1252"))
    assert table.rows[0][1] == "Crème brûlée – 5 €"


@pytest.mark.parametrize(("data", "message"), [
    (b"", reading.EMPTY),
    (b" \r\n\n ", reading.EMPTY),
    (b"Title,Notes\n", reading.NO_ROWS),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", reading.NOT_TEXT),
    ("Title\nx\n".encode("utf-16"), reading.NOT_TEXT),
    (b'{"name": "not a board"}', reading.NOT_TRELLO),
    (b"[1, 2]", reading.NOT_TRELLO),
    (b'{"cards": [], "lists": [', reading.NOT_TRELLO),
])
def test_files_refused_whole(data, message):
    with pytest.raises(Unreadable) as caught:
        read(data)
    assert caught.value.message == message


def test_more_rows_than_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    assert read(b"Title\na\nb\nc\n").total == 3
    with pytest.raises(Unreadable):
        read(b"Title\na\nb\nc\nd\n")


def test_a_cell_over_the_csv_limit_refuses_the_file_with_a_message():
    with pytest.raises(Unreadable) as caught:
        read(b"Title\n" + b"x" * 200_000 + b"\n")
    assert caught.value.message.startswith("The file could not be read as CSV")


@pytest.mark.parametrize(("header", "expected"), [
    (["Title", "Due date", "Points", "Assignee"], ["title", "due_date", "points", "assignee"]),
    (["name", "due", "Story points", "Owner"], ["title", "due_date", "points", "assignee"]),
    (["SUMMARY", "story_points", "Assignees", "due-date", "Labels"],
     ["title", "points", "assignee", "due_date", "labels"]),
    (["Summary", "Title", "Whatever"], ["title", "ignore", "ignore"]),  # each field once
    (["Status", "Priority", "Story", "Description", "Tags"],
     ["status", "priority", "story", "description", "labels"]),
])
def test_the_mapping_is_guessed_from_the_header_names(header, expected):
    assert list(guess(header).values()) == expected
    assert list(guess(header)) == [str(i) for i in range(len(header))]


@pytest.mark.parametrize(("text", "status"), [
    ("To Do", "todo"), ("todo", "todo"), ("Backlog", "todo"), ("Doing", "in-progress"),
    ("In progress", "in-progress"), ("in_progress", "in-progress"), ("Review", "review"),
    ("QA", "testing"), ("Done", "completed"), ("completed", "completed"), ("Someday", None),
])
def test_status_names(text, status):
    assert status_of(text) == status


@pytest.mark.parametrize(("text", "iso"), [
    ("2026-12-31", "2026-12-31"), ("2026-12-31T10:00:00.000Z", "2026-12-31"),
    ("31/12/2026", "2026-12-31"), ("1.2.2027", "2027-02-01"), ("31-12-2026", "2026-12-31"),
    ("12/31/2026", "12/31/2026"), ("next week", "next week"),
])
def test_due_dates_iso_or_day_first(text, iso):
    assert due_date_of(text) == iso


def _resolver(mapping, **kwargs):
    people = {"ann@acme.test": 1, "ann": 1, "@ann": 1, "jo lee": 2, "jo@acme.test": 2}
    return Resolver({int(k): v for k, v in mapping.items()}, people, {"login flow": 7}, **kwargs)


def test_a_row_as_the_task_forms_data():
    found = _resolver({0: "title", 1: "assignee", 2: "story", 3: "points", 4: "labels",
                       5: "priority", 6: "description"}).input(
        ["Fix it", "ann@acme.test; Jo Lee", "Login Flow", "3.0", "bug, ui", "Urgent", "Details"])
    assert found.reasons == []
    assert found.data == {"title": "Fix it", "assignees": [1, 2], "story": 7, "story_points": "3",
                          "priority": "critical", "description": "Details\n\nLabels: bug, ui"}


def test_an_unknown_person_or_story_refuses_a_csv_row_with_the_reason():
    found = _resolver({0: "title", 1: "assignee", 2: "story"}).input(["X", "@ann, nobody", "Gone"])
    assert found.reasons == ["No member of this project has the email, handle or name “nobody”.",
                             "No story of this project is titled “Gone”."]


def test_the_fingerprint_is_of_the_mapped_values_with_spaces_evened():
    r = _resolver({0: "title", 1: "description"})
    assert r.input(["A  task", " x "]).fingerprint == r.input(["A task", "x"]).fingerprint
    assert r.input(["A task", "x"]).fingerprint != r.input(["A task", "y"]).fingerprint


# -- Trello ------------------------------------------------------------------------------

def trello_board() -> dict:
    """A board as Trello exports it (only the parts Kanvaro reads, plus noise)."""
    return {
        "name": "Launch board", "prefs": {"background": "blue"},
        "lists": [{"id": "l1", "name": "To Do", "closed": False},
                  {"id": "l2", "name": "Doing", "closed": False},
                  {"id": "l3", "name": "Done", "closed": False},
                  {"id": "l4", "name": "Someday", "closed": False},
                  {"id": "l5", "name": "Old", "closed": True}],
        "labels": [{"id": "b1", "name": "bug", "color": "red"}, {"id": "b2", "name": "", "color": "green"}],
        "members": [{"id": "m1", "fullName": "Mia Member", "username": "mia"},
                    {"id": "m2", "fullName": "Olive Owner", "username": "olive99"},
                    {"id": "m3", "fullName": "Stranger Danger", "username": "stranger"}],
        "cards": [
            {"id": "c1", "name": "Write the plan", "desc": "The **plan**", "idList": "l1",
             "idLabels": ["b1", "b2"], "idMembers": ["m1"], "due": "2026-12-31T12:00:00.000Z",
             "closed": False, "idChecklists": ["k1"]},
            {"id": "c2", "name": "Build it", "desc": "", "idList": "l2", "idLabels": [],
             "idMembers": ["m2", "m3"], "due": None, "closed": False, "idChecklists": []},
            {"id": "c3", "name": "Ship it", "desc": "", "idList": "l3", "idLabels": [],
             "idMembers": [], "due": None, "closed": False},
            {"id": "c4", "name": "Dream", "desc": "", "idList": "l4", "closed": False},
            {"id": "c5", "name": "Archived card", "idList": "l1", "closed": True},
            {"id": "c6", "name": "In an archived list", "idList": "l5", "closed": False},
        ],
        "checklists": [{"id": "k1", "idCard": "c1", "name": "Steps", "checkItems": [
            {"name": "Draft", "state": "complete", "pos": 1},
            {"name": "Review", "state": "incomplete", "pos": 2}]}],
    }


def test_a_trello_export_becomes_rows_with_statuses_checklists_labels_and_members():
    table = read(json.dumps(trello_board()).encode())
    assert table.kind == "trello" and table.extra["skipped"] == 2
    by_title = {r[2]: r for r in table.rows}
    assert list(by_title) == ["Write the plan", "Build it", "Ship it", "Dream"]
    plan = by_title["Write the plan"]
    assert plan[3] == "The **plan**\n\n**Steps**\n\n- [x] Draft\n- [ ] Review"
    assert plan[4:] == ["todo", "mia", "2026-12-31T12:00:00.000Z", "bug, green"]
    assert by_title["Build it"][4:6] == ["in-progress", "olive99, stranger"]
    assert by_title["Ship it"][4] == "completed"
    assert by_title["Dream"][4] == "todo" and by_title["Dream"][7] == "Someday"
    assert table.extra["names"]["olive99"] == "Olive Owner"
