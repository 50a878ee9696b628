"""uvicorn's HTTP protocol with a deadline for the request head, which uvicorn itself does not have.

Without it, a client that sends its headers a byte at a time holds a
connection for as long as it likes (slowloris), until ``--max-connections``
are taken and everyone else gets 503. The deadline starts when the
connection opens and again after each response; it ends when a complete
request head has arrived. Bodies have their own deadline in
:func:`inbox.core.read_body`. Built on uvicorn's h11 protocol (pinned in
requirements.txt); tests/test_inbox_http.py fails if its hooks move.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def protocol(head_timeout: float) -> type[H11Protocol]:
    """The protocol class for ``uvicorn.run(http=…)``, closing connections whose head is late."""

    class HeadTimeoutProtocol(H11Protocol):
        _head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if not self._waiting_for_head():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _waiting_for_head(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self._head_deadline = self.loop.call_later(head_timeout, self._late)

        def _disarm(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _late(self) -> None:
            if self._waiting_for_head() and not self.transport.is_closing():
                self.transport.close()

    return HeadTimeoutProtocol
