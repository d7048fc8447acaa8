"""htmx request details and the tiny helpers that shape responses for it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class HtmxDetails:
    request: bool
    boosted: bool
    target: str | None

    @property
    def partial(self) -> bool:
        """An htmx request that wants a fragment, not a navigation."""
        return self.request and not self.boosted


def details(request: Request) -> HtmxDetails:
    h = request.headers
    return HtmxDetails(
        request=h.get("hx-request") == "true",
        boosted=h.get("hx-boosted") == "true",
        target=h.get("hx-target"),
    )


def vary(response: Response) -> Response:
    existing = response.headers.get("vary")
    if not existing:
        response.headers["Vary"] = "HX-Request"
    elif "hx-request" not in existing.lower():
        response.headers["Vary"] = existing + ", HX-Request"
    return response


def see_other(url: str) -> Response:
    return Response(status_code=303, headers={"Location": url})


def hx_location(url: str) -> Response:
    return Response(status_code=200, headers={"HX-Location": url})


def hx_redirect(url: str, status_code: int = 401) -> Response:
    return Response(status_code=status_code, headers={"HX-Redirect": url})
