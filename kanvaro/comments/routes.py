"""The comments area's URLs (SPEC §8)."""

from __future__ import annotations

from starlette.routing import Route

ROUTES: list[Route] = []
