"""htmx request details and the tiny helpers that shape responses for it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class HtmxDetails:
    request: bool
    boosted: bool
    target: str | None
    current_url: str | None = None

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
        current_url=h.get("hx-current-url"),
    )


# What may stand in a URL as it is (RFC 3986 reserved and unreserved, and `%` so that what is
# already escaped stays as it was); everything else is percent-encoded as UTF-8.
_URL_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
FALLBACK = "/projects"


def location(url: str) -> str:
    """Every redirect target, made ASCII: a header carries Latin-1 at most, and a browser
    reads raw bytes there each its own way. Anything that is not a same-site path, or that
    holds a control character, becomes FALLBACK."""
    if (not url.startswith("/") or url.startswith("//") or "\\" in url
            or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in url)):
        return FALLBACK
    return quote(url, safe=_URL_SAFE)


def see_other(url: str) -> Response:
    return Response(status_code=303, headers={"Location": location(url)})


def hx_location(url: str) -> Response:
    return Response(status_code=200, headers={"HX-Location": location(url)})


def hx_redirect(url: str, status_code: int = 401) -> Response:
    return Response(status_code=status_code, headers={"HX-Redirect": location(url)})
