"""The upload form, the mapping form (one select `map_<n>` per column), and their inputs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from wtforms import FileField, SelectField

from kanvaro.forms import BaseForm, choices
from kanvaro.imports.rows import FIELDS

NOT_A_CHOICE = "Not a valid choice."
NO_TITLE = "Map one column to Title."
_MAP = re.compile(r"map_(\d{1,2})")


class UploadForm(BaseForm):
    """The upload's markup and errors; the file itself is checked by the action."""

    file = FileField("CSV file or Trello export")


@dataclass(frozen=True)
class Upload:
    """The input of POST /projects/{id}/import: the file as received, and its name and size."""

    filename: str
    file: BinaryIO
    size: int


@dataclass(frozen=True)
class MappingChoice:
    """The input of POST /imports/{id} and /imports/{id}/run: column index (as text) -> field,
    as sent (`map_<n>`, the first value of each); empty when no `map_<n>` was sent at all,
    which keeps the mapping saved (a Trello import has none to choose)."""

    columns: dict[str, str]

    @classmethod
    def of(cls, data: Any) -> MappingChoice:
        out: dict[str, str] = {}
        for key in data:
            found = _MAP.fullmatch(key)
            if found and str(int(found.group(1))) not in out:
                out[str(int(found.group(1)))] = data.get(key) or ""
        return cls(out)


def checked(choice: MappingChoice, header: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The whole mapping (an unsent column is ignored) and the errors by field `map_<n>`."""
    mapping = {str(i): choice.columns.get(str(i), "ignore") for i in range(len(header))}
    errors: dict[str, list[str]] = {}
    first: dict[str, int] = {}
    for i in range(len(header)):
        value = mapping[str(i)]
        if value not in FIELDS:
            errors[f"map_{i}"] = [NOT_A_CHOICE]
        elif value != "ignore" and value in first:
            errors[f"map_{i}"] = [(f"{FIELDS[value]} is already the field of column "
                                  f"“{header[first[value]]}”.")]
        else:
            first.setdefault(value, i)
    if "title" not in first and header and "map_0" not in errors:
        errors["map_0"] = [NO_TITLE]
    return mapping, errors


class MappingForm(BaseForm):
    """Fields are added per file (`mapping_form`)."""


def mapping_form(header: list[str], mapping: dict[str, str],
                 errors: dict[str, list[str]] | None = None) -> MappingForm:
    """The mapping's selects, labelled by the header, filled with `mapping`."""
    fields = {f"map_{i}": SelectField(name or f"Column {i + 1}", choices=choices(FIELDS))
              for i, name in enumerate(header)}
    form_class = type("FileMappingForm", (MappingForm,), fields)
    form = form_class(data={f"map_{k}": v for k, v in mapping.items()})
    for name, messages in (errors or {}).items():
        if name in form._fields:
            form[name].errors = list(messages)
    return form  # type: ignore[no-any-return]
