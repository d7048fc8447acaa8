"""FormInput reads any mapping as an HTML form would send it (issue 10: JSON callers)."""

from __future__ import annotations

from datetime import date

from kanvaro.forms import FormInput
from kanvaro.tasks.forms import StatusForm


def test_booleans_dates_and_numbers_read_as_a_form_sends_them():
    data = FormInput({"done": True, "hidden": False, "due": date(2026, 12, 31), "points": 3,
                      "none": None, "tags": ["a", "b"], "title": "x"})
    assert data.multi_items() == [("done", "y"), ("due", "2026-12-31"), ("points", "3"),
                                  ("tags", "a"), ("tags", "b"), ("title", "x")]
    assert "hidden" not in data and "none" not in data


def test_a_false_checkbox_is_absent_not_the_text_false():
    assert FormInput({"flag": False}).get("flag") is None


def test_a_json_body_reaches_the_same_validation_as_the_form():
    form = StatusForm({"status": "review", "version": 3})
    assert form.validate() and form.status.data == "review"
