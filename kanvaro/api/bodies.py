"""Request bodies, derived from the actions' typed inputs: never a second list of fields.

`body_of(TaskEdit, "TaskPatch")` makes a pydantic model with the input's public field names
and types (`kanvaro.inputs`), each optional, unknown fields refused, lists capped; the fixed
choices and lengths of the input's WTForms rules become the schema's `enum`, `maxLength`,
`minimum` and `maximum`, so the OpenAPI document says what the rules check. The rules still
do the checking and give the messages (`inputs.parse`), exactly as for a form: pydantic here
only says the JSON's shape (types), so a wrong type is refused as a wrong type.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from wtforms.validators import Length, NumberRange

MAX_ITEMS = 200  # ids in one list field (members, assignees)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    def sent(self) -> dict[str, Any]:
        """The fields the caller sent (null included), as the input's parser reads them."""
        return self.model_dump(mode="json", exclude_unset=True)


def _constraints(field: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for check in getattr(field, "validators", ()):
        if isinstance(check, Length):
            if check.max is not None and check.max >= 0:
                found["max_length"] = check.max
        elif isinstance(check, NumberRange):
            if check.min is not None:
                found["ge"] = check.min
            if check.max is not None:
                found["le"] = check.max
    return found


def _choices(field: Any) -> tuple[str, ...]:
    if not getattr(field, "validate_choice", False) or not getattr(field, "choices", None):
        return ()
    return tuple(str(value) for value, *_ in field.choices)


_SCHEMA_NAMES = {"max_length": "maxLength", "ge": "minimum", "le": "maximum", "enum": "enum"}


def _saying(said: dict[str, Any], *, drop_default: bool = False) -> Any:
    def amend(schema: dict[str, Any]) -> None:
        if drop_default:
            schema.pop("default", None)
        target = schema
        for option in schema.get("anyOf", ()):  # a nullable field: the constraint is the value's
            if option.get("type") != "null":
                target = option
        for key, value in said.items():
            target[_SCHEMA_NAMES[key]] = value

    return amend


def body_of(schema: type, name: str, *, leave_out: tuple[str, ...] = (),
            required: tuple[str, ...] = ()) -> type[Body]:
    """The JSON body of the action taking `schema`; `required` fields must be sent."""
    hints = typing.get_type_hints(schema)
    form = schema.rules()  # type: ignore[attr-defined]
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(schema):
        if f.name in leave_out:
            continue
        hint, wt = hints[f.name], form[f.name]
        # Said in the schema, checked by the rules (so every field's errors come together).
        said = {**_constraints(wt), **({"enum": list(_choices(wt))} if _choices(wt) else {})}
        base: Any
        if hint is str:
            base = str
        elif typing.get_origin(hint) is list:
            base = Annotated[list[int], Field(max_length=MAX_ITEMS)]  # huge arrays: refused here
        elif date in typing.get_args(hint):
            base = date
        else:
            base = int
        nullable = type(None) in typing.get_args(hint)
        kind = base | None if nullable else base
        description = str(wt.label.text) if wt.label else None
        if f.name in required:
            fields[f.name] = (kind, Field(description=description, json_schema_extra=_saying(said)))
        else:
            # Left out is "not sent" (a PATCH keeps the value); the schema has no default.
            fields[f.name] = (kind, Field(default=None, description=description,
                                          json_schema_extra=_saying(said, drop_default=True)))
    return create_model(name, __base__=Body, **fields)  # type: ignore[call-overload, no-any-return]
