"""What an action takes: one typed input per action, parsed and validated by its caller.

Every caller (an HTML form, a JSON body, a CSV row, the CLI) turns what it received into
the action's input with `parse(TaskEdit, data)`. The rules and their messages are those of
the input's WTForms class (`rules`), written once: the same class renders and re-fills the
HTML form. The result, a `Parsed`, holds each field's value as far as it parsed and the
errors by public field name; it is not raised at once. The action calls `.valid()` after its
own checks, so a refusal comes in the order SPEC §4 gives whoever calls (404, then 403,
then 422, then 409), and the action's own checks that need the database (a story of this
project, a member of this organization) are reported with the input's, all in one
`Invalid(errors=...)`.

docs/architecture.md, "Inputs and errors", says why WTForms keeps the rules rather than a
second schema library: one set of rules and messages for the form a person sees and the body
a program sends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from wtforms import Form

from kanvaro.errors import Invalid
from kanvaro.forms import FormInput


class Input(Protocol):
    """A frozen dataclass whose fields are the public field names of one action's input."""

    rules: ClassVar[Callable[..., Form]]
    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T", bound=Input)
C = TypeVar("C", bound=type)


def input_of(rules: Callable[..., Form], route: str) -> Callable[[C], C]:
    """Declare a class as the input of the action behind `route`, checked by `rules`: a
    frozen dataclass of the public field names."""

    def declare(cls: C) -> C:
        cls.rules = rules  # type: ignore[attr-defined]
        cls.__doc__ = f"The input of {route}."
        return dataclass(frozen=True)(cls)  # type: ignore[return-value]

    return declare


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """One input as sent: `data` is each field's value as far as it parsed (None where it
    did not), `errors` what the rules found, by field."""

    schema: type[T]
    data: dict[str, Any]
    errors: dict[str, list[str]]

    def valid(self, **checks: str | None) -> T:
        """The typed value; or Invalid with every error: the rules' and the action's own
        `checks` (field -> message, None when that check passed)."""
        errors = {name: list(messages) for name, messages in self.errors.items()}
        for name, message in checks.items():
            if message:
                errors.setdefault(name, []).append(message)
        if errors:
            raise Invalid(errors=errors)
        return self.schema(**self.data)


def errors_of(form: Form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items() if messages}


def parse(schema: type[T], data: Any) -> Parsed[T]:
    """`data` (a mapping, pairs, FormData; JSON values read as a form would send them,
    kanvaro.forms.as_form_text) checked by the schema's rules."""
    form = schema.rules(FormInput(data))
    form.validate()
    values = {}
    for f in dataclasses.fields(schema):  # type: ignore[arg-type]
        value = form[f.name].data
        if value is None and f.type == "str":
            value = ""  # a text left out is empty, never None
        elif value is None and f.type.startswith("list"):
            value = []
        values[f.name] = value
    return Parsed(schema, values, errors_of(form))


F = TypeVar("F", bound=Form)


def refill(form: F, errors: dict[str, list[str]], *, version: int | None = None) -> F:
    """An HTML adapter's answer to Invalid or Conflict: `form` (built from what was sent)
    with each error next to its field; on a conflict, with the row's current `version`, so
    that saving again overrides, knowingly."""
    for name, messages in errors.items():
        if name in form._fields:
            form[name].errors = list(messages)
    if version is not None:
        form["version"].data = version
    return form
