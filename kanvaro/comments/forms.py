"""The comment form, and the inputs of the comment actions it checks."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from kanvaro.forms import BaseForm, no_control_chars, strip_text, version_field
from kanvaro.inputs import input_of

MAX_BODY = 10_000


def one_newline(value: object) -> object:
    """Browsers send a textarea's line breaks as CRLF: counted and kept as one character."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class CommentForm(BaseForm):
    version = version_field()
    body = TextAreaField("Comment", filters=[one_newline, strip_text], validators=[
        InputRequired("Write a comment."),
        Length(min=1, max=MAX_BODY, message="Use 1 to 10,000 characters."),
        no_control_chars,
    ])


def comment_form(formdata: object = None, *, field_id: str = "comment-body", **kwargs: object) -> CommentForm:
    """The form, its textarea with an id of its own (a page may hold the new comment's form
    and one being edited)."""
    form = CommentForm(formdata, **kwargs)
    form.body.id = field_id
    return form


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(CommentForm, "POST /tasks/{id}/comments")
class NewComment:
    body: str


@input_of(CommentForm, "POST /comments/{id}: the new body, and the version it was edited from")
class CommentEdit(NewComment):
    version: int | None
