"""What an upload is to the actions, the form the task page shows, and the one refusal of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from wtforms import FileField

from kanvaro.errors import KanvaroError
from kanvaro.forms import BaseForm

NO_FILE = "Choose a file to attach."
EMPTY_FILE = "The file is empty; choose one with something in it."


class AttachmentForm(BaseForm):
    """The upload form's markup and errors; the file itself is checked by the action."""

    file = FileField("File")


@dataclass(frozen=True)
class Upload:
    """The input of POST /tasks/{id}/attachments: the file as received, readable from its start
    (a spooled temporary file over HTTP), and the name and size the client gave it."""

    filename: str
    file: BinaryIO
    size: int


class TooLarge(KanvaroError):
    """A file over KANVARO_MAX_UPLOAD_BYTES."""

    status_code = 413
