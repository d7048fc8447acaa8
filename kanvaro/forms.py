"""What every form shares: input from any mapping, trimmed text, field checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from wtforms import (
    Form,
    IntegerField,
    PasswordField,
    SelectChoice,
    StringField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from kanvaro.addresses import mailbox


def as_form_text(value: Any) -> str | None:
    """A value as an HTML form would send it: text as it is; a true checkbox as "y" and a
    false or missing one not at all (not "False"); dates in ISO form; numbers as digits.
    A file or None is no value. So a JSON body or a CSV row reads as the same form would."""
    if isinstance(value, str):
        return value
    if value is None or value is False or hasattr(value, "read"):
        return None
    if value is True:
        return "y"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


class FormInput:
    """A read-only multi-dict over a mapping, a list of pairs, or Starlette's FormData."""

    def __init__(self, data: Any = None) -> None:
        self._items: list[tuple[str, str]] = []
        if data is None:
            return
        if isinstance(data, FormInput):
            pairs: Iterable[tuple[str, Any]] = list(data._items)
        elif hasattr(data, "multi_items"):
            pairs = data.multi_items()
        elif isinstance(data, Mapping):
            pairs = []
            for key, value in data.items():
                values = value if isinstance(value, (list, tuple)) else [value]
                pairs.extend((key, v) for v in values)  # type: ignore[union-attr]
        else:
            pairs = data
        for key, value in pairs:
            text = as_form_text(value)
            if text is not None:
                self._items.append((key, text))

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self._items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(dict.fromkeys(k for k, _ in self._items))

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self._items:
            if k == key:
                return v
        return default

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._items if k == key]


def strip_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def no_control_chars(form: Form, field: Any) -> None:
    value = field.data
    if isinstance(value, str) and any(ord(c) < 32 and c not in "\t\r\n" for c in value):
        raise ValidationError("Contains characters that are not allowed.")


def valid_email(form: Form, field: Any) -> None:
    """Exactly one plain mailbox (kanvaro.addresses); the field keeps its normalised form."""
    if field.data:
        address = mailbox(field.data)
        if address is None:
            raise ValidationError("Enter a valid email address.")
        field.data = address


def lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class BaseForm(Form):
    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata=FormInput(formdata) if formdata is not None else None, **kwargs)

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) for every error, in field order."""
        out = []
        for field in self:
            for message in field.errors:
                out.append((field.id, str(field.label.text), str(message)))
        return out


def choices(pairs: Mapping[Any, str] | Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return [SelectChoice(value, label) for value, label in items]


# -- fields several forms share ---------------------------------------------------------

def title_field(label: str, id: str | None = None) -> StringField:
    return StringField(
        label,
        id=id,
        filters=[strip_text],
        validators=[
            InputRequired("Enter a title."),
            Length(min=1, max=200, message="Use 1 to 200 characters."),
            no_control_chars,
        ],
    )


def points_field(id: str | None = None) -> IntegerField:
    return IntegerField(
        "Story points",
        id=id,
        validators=[Optional(), NumberRange(0, 100, "Use a whole number from 0 to 100.")],
    )


def version_field() -> IntegerField:
    """The row's version the edit started from (SPEC §4): every edit input carries it, and
    kanvaro.errors.expect_version is the one place that checks it. Empty means not said."""
    return IntegerField("Version", widget=HiddenInput(), validators=[Optional()])


def text_field(label: str, required: str, *, max_length: int = 200,
               extra: tuple[Any, ...] = ()) -> StringField:
    """A one-line text, trimmed, required, without control characters."""
    return StringField(label, filters=[strip_text],
                       validators=[InputRequired(required), Length(max=max_length),
                                   no_control_chars, *extra])


def new_password_field(label: str = "Password", required: str = "Choose a password.") -> PasswordField:
    """A password being chosen: at least 10 characters (SPEC §4)."""
    return PasswordField(label, validators=[
        InputRequired(required), Length(min=10, max=1000, message="Use at least 10 characters."),
    ])


def email_field(required: str = "Enter your email address.") -> StringField:
    """An email being typed: exactly one mailbox, stored lower-case."""
    return StringField("Email", filters=[lower],
                       validators=[InputRequired(required), Length(max=320), valid_email])
