"""Where a webhook may post: public addresses only, checked when saved and at each delivery.

A host name is resolved once and every address it gives is checked (loopback, private,
link-local, multicast, unspecified, reserved, IPv4 in IPv6 too); the sender then connects to
an address it checked, with the URL's host in the Host header and for TLS, so that a name
re-pointed between the check and the connection (DNS rebinding) gains nothing.
`KANVARO_WEBHOOK_ALLOW_PRIVATE=1` lifts the address check (a hook inside one's own network).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NOT_HTTP = "Enter an address starting with http:// or https://."
NO_HOST = "Enter an address with a host name."
CREDENTIALS = "Leave the user name and password out of the address; the secret signs each delivery."
BAD_PORT = "Enter a port from 1 to 65535."
UNRESOLVED = "This host name does not resolve to an address."
PRIVATE = ("This address is loopback, private or link-local; webhooks go to public "
           "addresses only.")


class Refused(Exception):
    """A target the sender must not post to; the message says why."""


class Unresolved(Refused):
    """The host name gave no address (now: the sender tries again later)."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart: where to connect, and what to say in the request line."""

    scheme: str
    host: str
    port: int
    path: str


def parse(url: str) -> Target:
    """The URL's parts, or Refused with the message for the form."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(BAD_PORT) from None
    if parts.scheme not in ("http", "https"):
        raise Refused(NOT_HTTP)
    if not parts.hostname:
        raise Refused(NO_HOST)
    if parts.username is not None or parts.password is not None:
        raise Refused(CREDENTIALS)
    if port == 0:
        raise Refused(BAD_PORT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80),
                  path)


def forbidden(address: Address) -> bool:
    """Whether an address is one a webhook may not reach."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # an IPv4 address written as IPv6: that one counts
            return forbidden(address.ipv4_mapped)
        if address.sixtofour is not None and forbidden(address.sixtofour):
            return True
        if address.is_site_local:  # fec0::/10, deprecated but still routed inside networks
            return True
    return (address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_unspecified or address.is_reserved
            or not address.is_global)


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address the host stands for (itself, when it is one), in the resolver's order."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Unresolved(UNRESOLVED) from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolved(UNRESOLVED)
    return addresses


def checked(target: Target, *, allow_private: bool) -> list[Address]:
    """The addresses to connect to: all of the host's, each allowed, or Refused."""
    addresses = resolve(target.host, target.port)
    if not allow_private:
        bad = [a for a in addresses if forbidden(a)]
        if bad:
            named = not _literal(target.host)
            raise Refused(f"{PRIVATE} ({target.host} is {bad[0]})" if named else PRIVATE)
    return addresses


def refusal(url: str, *, allow_private: bool) -> str | None:
    """Why a hook may not have this URL, or None: the check when it is saved."""
    try:
        target = parse(url)
        if not allow_private:
            checked(target, allow_private=False)
    except Refused as exc:
        return str(exc)
    return None
