"""`{x:id}` in a route path: any digit string, never a 500."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

MAX_ID = 2**62


class IdConvertor(Convertor[int]):
    """Any digit string. One too long to be an id becomes MAX_ID + 1, which the view answers
    with 404 before anything else: `int()` of 4,301 digits or more raises (Python's
    int-string limit), and Starlette's `int` convertor would turn that into a 500."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        digits = value.lstrip("0") or "0"
        return int(digits) if len(digits) <= 19 else MAX_ID + 1

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())
