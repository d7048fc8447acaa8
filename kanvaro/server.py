"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """With --workers > 1 uvicorn binds the socket itself and asyncio leaves Nagle on:
    small responses then wait ~40 ms for a delayed ACK. Switch it off per connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)
