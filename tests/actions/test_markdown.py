"""Markdown: rendered once, sanitized, task refs and mentions only to what is real and visible."""

from __future__ import annotations

import re

import pytest

from kanvaro.markdown import render, sanitize, visible_refs
from kanvaro.tasks.models import Task
from tests.factories import make_ctx, make_org, make_project, make_user


@pytest.fixture
def world(db, settings):  # type: ignore[no-untyped-def]
    org = make_org(db)
    ann = make_user(db, org, name="Ann Lee", role="project_manager")
    bob = make_user(db, org, name="Bob Stone")
    outsider = make_user(db, org, name="Cy Out")
    project = make_project(db, org, members=[ann, bob])
    hidden = make_project(db, org, members=[outsider])
    task = Task(organization_id=org.id, project_id=project.id, number=14, title="Fix login")
    secret = Task(organization_id=org.id, project_id=hidden.id, number=2, title="Secret")
    db.add_all([task, secret])
    db.flush()
    other = make_org(db)
    stranger = make_user(db, other, name="Ann Lee")
    return {"ctx": make_ctx(db, ann, settings), "bob_ctx": make_ctx(db, bob, settings),
            "project": project, "hidden": hidden, "task": task, "secret": secret, "ann": ann,
            "bob": bob, "outsider": outsider, "stranger": stranger}


def test_commonmark_with_tables_and_strikethrough(world):
    html = render(world["ctx"], "**bold** ~~gone~~\n\n|a|b|\n|-|-|\n|1|2|").html
    assert "<strong>bold</strong>" in html and "<s>gone</s>" in html and "<table>" in html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)", "<img src=x onerror=alert(1)>",
    "<iframe src=//evil></iframe>", "[x](vbscript:msgbox)", "<a href='javascript:x'>y</a>",
    "![i](javascript:alert(1))", "[x](&#106;avascript:alert(1))", "<style>*{}</style>",
    "<form action=/x><input></form>", "<svg onload=alert(1)>", "[x]( javascript:alert(1))",
])
def test_hostile_markdown_yields_no_script(world, hostile):
    html = render(world["ctx"], hostile).html.lower()
    tags = re.findall(r"<[a-z][^>]*>", html)  # text may say anything: it is escaped
    assert {t.split()[0].strip("<>") for t in tags} <= {"p", "a"}
    for tag in tags:
        assert not re.search(r"\son\w+=", tag)
        assert not re.search(r'href="(?!https?:|mailto:|/)', tag)


def test_links_keep_safe_schemes_and_get_rel(world):
    html = render(world["ctx"], "[a](https://example.com) <mailto:a@example.com>").html
    assert 'href="https://example.com"' in html and 'href="mailto:a@example.com"' in html
    assert html.count('rel="nofollow noopener noreferrer"') == 2


def test_task_ref_links_a_task_of_the_organization(world):
    project = world["project"]
    html = render(world["ctx"], f"See #{project.number}.14 and #{project.number}.99").html
    assert f'href="/tasks/{world["task"].id}"' in html
    assert f"#{project.number}.99" in html and html.count("<a") == 1


def test_task_ref_in_code_stays_code(world):
    n = world["project"].number
    assert "<a" not in render(world["ctx"], f"`#{n}.14`").html


def test_a_ref_into_a_hidden_project_is_plain_text_for_the_reader(world):
    n = world["hidden"].number
    stored = render(world["ctx"], f"see #{n}.2").html  # Ann is no member of it
    assert "/tasks/" in stored
    shown = visible_refs(world["bob_ctx"], stored)
    assert "/tasks/" not in shown and f"#{n}.2" in shown


def test_mention_links_and_reports_who_may_see(world):
    r = render(world["ctx"], "ping @bob.stone and @cy.out and @nobody", project_id=world["project"].id)
    assert r.mentioned == {world["bob"].id}
    assert f'href="/team#member-{world["bob"].id}"' in r.html
    assert "@cy.out" in r.html and r.html.count("<a") == 1


def test_mention_of_a_handle_of_another_organization_notifies_nobody(world):
    assert world["stranger"].handle == world["ann"].handle  # each organization has its own
    r = render(world["ctx"], "@ann.lee", project_id=world["project"].id)
    assert r.mentioned == {world["ann"].id}


def test_an_email_address_is_no_mention(world):
    r = render(world["ctx"], "mail bob.stone@example.com", project_id=world["project"].id)
    assert not r.mentioned


def test_sanitize_strips_event_attributes():
    assert "onclick" not in sanitize('<a href="https://x" onclick="y">z</a>')


@pytest.mark.parametrize("text", ["[x](/logout)", "[x](javascript:alert(1))", "[x](ftp://x.test)",
                                  "[x](data:text/html,x)", "<javascript:alert(1)>", "[x](foo.html)"])
def test_a_link_other_than_http_https_or_mailto_stays_the_text_typed(world, text):
    html = render(world["ctx"], text).html
    assert "<a" not in html and "](" in html or "&lt;" in html


def test_an_image_is_a_link_to_it_never_a_picture_loaded_from_elsewhere(world):
    html = render(world["ctx"], "![a cat](https://x.test/cat.png) [![i](https://x.test/i.png)](https://y.test)").html
    assert "<img" not in html
    assert '<a href="https://x.test/cat.png" rel="nofollow noopener noreferrer">a cat</a>' in html
    assert '<a href="https://y.test" rel="nofollow noopener noreferrer">i</a>' in html


def test_headings_sit_below_the_page_heading_and_skip_no_level(world):
    html = render(world["ctx"], "# A\n\n### B\n\n###### C\n\n## D").html
    assert re.findall(r"<(h\d)>", html) == ["h2", "h3", "h4", "h3"]


def test_a_mention_at_the_end_of_a_sentence_leaves_the_full_stop(world):
    r = render(world["ctx"], "Thanks @bob.stone.", project_id=world["project"].id)
    assert r.mentioned == {world["bob"].id}
    assert r.html.rstrip().endswith("@bob.stone</a>.</p>")


def test_a_handle_ending_in_a_dot_is_mentioned_whole(world, db):
    world["bob"].handle = "bob."
    db.flush()
    r = render(world["ctx"], "cc @bob.", project_id=world["project"].id)
    assert r.mentioned == {world["bob"].id} and "@bob.</a>" in r.html


def test_mentions_in_code_links_and_escapes_stay_text(world):
    r = render(world["ctx"], "`@bob.stone` [@bob.stone](https://x.test) \\@bob.stone\n\n    @bob.stone",
               project_id=world["project"].id)
    assert not r.mentioned and "mention" not in r.html


def test_a_mention_of_a_deactivated_person_is_plain_text(world, db):
    world["bob"].is_active = False
    db.flush()
    assert not render(world["ctx"], "@bob.stone", project_id=world["project"].id).mentioned


def test_without_a_project_no_one_is_mentioned(world):
    r = render(world["ctx"], "@bob.stone")
    assert not r.mentioned and "<a" not in r.html
