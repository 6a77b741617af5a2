"""What medstream needs of daphne, applied whichever way daphne is started.

``python -m medstream.serve`` and the Channels documentation's ``daphne medstream.asgi:application``
must behave the same (README, "Running it"): close codes and their reasons, a close frame
instead of a dropped connection for an oversized frame, frame limits and pings from the
settings, and the drain on SIGTERM. ``medstream.asgi`` calls :func:`adapt_daphne` as it loads, so
any daphne that serves the application (both launchers import it before building their server)
is adapted; the settings win over daphne's command-line options for what they govern.

Drain: daphne's own signal handling stops the reactor at once, cancelling every consumer (clients
see 1006 and any running stream waits for a takeover). Here SIGTERM (or SIGINT) first stops
taking new sockets and streams (``/readyz`` answers 503 so the load balancer looks elsewhere),
gives running streams ``DRAIN_GRACE_SECONDS`` to finish, hands over the rest by releasing their
leases, closes every socket with 1012 (service restart: reconnect and resume), and only then
stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from clinical import close_codes

logger = logging.getLogger("medstream.serve")

_adapted: list[bool] = []


# ASGI servers that load the application without daphne's protocol, which medstream adapts.
OTHER_SERVERS = ("uvicorn", "hypercorn", "granian")


def refuse_other_servers(loaded: Mapping[str, object]) -> None:
    """Fail loudly if the application is loaded by another ASGI server (``loaded``: the
    modules imported so far) rather than serve with other close codes and limits."""
    found = [name for name in OTHER_SERVERS if name in loaded]
    if found:
        raise ImproperlyConfigured(
            f"medstream is served by daphne, not {found[0]}: start it with "
            "`python -m medstream.serve` or `daphne medstream.asgi:application`"
        )


def adapt_daphne() -> None:
    """Adapt daphne's classes for this process, once."""
    if _adapted:
        return
    allow_registered_close_codes()
    close_with_reason()
    close_instead_of_dropping()
    limit_only_what_clients_send()
    serve_by_the_settings()
    _adapted.append(True)


async def _drain_and_stop(reactor) -> None:
    from django.conf import settings

    from clinical.consumers import close_all_sockets
    from clinical.streams.worker import worker

    logger.info("draining", extra={"worker": settings.WORKER_ID})
    await worker.drain(settings.DRAIN_GRACE_SECONDS)
    closed = await close_all_sockets()
    logger.info("drained; stopping", extra={"worker": settings.WORKER_ID, "sockets": closed})
    # Let the close frames reach the clients before the reactor drops the connections.
    await asyncio.sleep(0.2)
    reactor.stop()


def allow_registered_close_codes() -> None:
    """Let the application close sockets with the IANA-registered codes it documents.

    autobahn's ``sendClose`` (under daphne) refuses any code but 1000 and 3000-4999
    (crossbario/autobahn-python#1642, django/daphne#374, both open), so a consumer's
    ``close(1012)`` raised instead of closing. Its ``sendCloseFrame``, which ``sendClose`` calls
    after that check, sends them as RFC 6455 and the IANA registry allow.
    """
    from daphne.ws_protocol import WebSocketProtocol

    def server_close(self, code: int | None = None) -> None:
        if code in close_codes.REGISTERED:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            self.sendClose(code=1000 if code is None else code)

    WebSocketProtocol.serverClose = server_close


def close_with_reason() -> None:
    """Send the reason a consumer closes with (``close(code, reason)``) in the close frame.

    daphne passes only the code on, so a browser's ``CloseEvent.reason`` was always empty; a
    socket refused for the per-user cap or closed for a flood says why (README, close codes).
    """
    from daphne.ws_protocol import WebSocketProtocol

    handle_reply = WebSocketProtocol.handle_reply

    def reply(self, message: dict) -> None:
        reason = message.get("reason") if message.get("type") == "websocket.close" else None
        if reason and self.state == self.STATE_OPEN:
            code = message.get("code") or 1000
            self.sendCloseFrame(code=code, reasonUtf8=reason.encode()[:123], isReply=False)
            return
        handle_reply(self, message)

    WebSocketProtocol.handle_reply = reply


def close_instead_of_dropping() -> None:
    """Tell a client which rule it broke: a frame over the size limit is answered with a close
    frame carrying 1009 (invalid UTF-8 with 1007), rather than autobahn's default of dropping
    the TCP connection, which the client sees as 1006 and cannot tell from a network fault."""
    from daphne.ws_protocol import WebSocketFactory

    factory_init = WebSocketFactory.__init__

    def init(self, *args: object, **kwargs: object) -> None:
        factory_init(self, *args, **kwargs)
        self.setProtocolOptions(failByDrop=False)

    WebSocketFactory.__init__ = init


def limit_only_what_clients_send() -> None:
    """Bound the frames a client sends, not the frames the server sends.

    daphne's ``websocket_max_message_size`` is autobahn's ``maxMessagePayloadSize``, which also
    refuses to *send* a larger message (``PayloadExceededError``): a stream frame over
    ``WS_MAX_FRAME_BYTES`` (a long differential, a large result) could not be delivered. The
    limit is lifted for the duration of each send; the reactor is single-threaded, so no
    incoming frame is read meanwhile.
    """
    from daphne.ws_protocol import WebSocketProtocol

    server_send = WebSocketProtocol.serverSend

    def send(self, content: str | bytes, binary: bool = False) -> None:
        limit, self.maxMessagePayloadSize = self.maxMessagePayloadSize, 0
        try:
            server_send(self, content, binary)
        finally:
            self.maxMessagePayloadSize = limit

    WebSocketProtocol.serverSend = send


def _stop_on_failure(reactor):
    """If the drain itself fails, log why and stop anyway: a stuck drain must not hang."""

    def check(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("drain failed; stopping", exc_info=task.exception())
            reactor.stop()

    return check


def _install_drain(reactor) -> None:
    loop = asyncio.get_event_loop()
    draining: list[asyncio.Task] = []

    def on_signal() -> None:
        if not draining:
            draining.append(loop.create_task(_drain_and_stop(reactor)))
            draining[0].add_done_callback(_stop_on_failure(reactor))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)


def serve_by_the_settings() -> None:
    """Every daphne ``Server`` of this process takes its socket limits, pings and close timeout
    from the settings, drains on SIGTERM instead of stopping at once, and exits when stopped.

    After the reactor stops, everything worth keeping is in the database; a database call stuck
    in a worker thread (the case a drain hands over) must not keep the process alive.
    """
    from daphne.server import Server
    from django.conf import settings

    server_init, server_run = Server.__init__, Server.run

    def init(self: Server, *args: object, **kwargs: object) -> None:
        server_init(self, *args, **kwargs)
        self.ping_interval = settings.WS_PING_INTERVAL_SECONDS
        self.ping_timeout = settings.WS_PING_TIMEOUT_SECONDS
        self.websocket_max_message_size = settings.WS_MAX_FRAME_BYTES
        self.websocket_max_frame_size = settings.WS_MAX_FRAME_BYTES
        self.application_close_timeout = APPLICATION_CLOSE_SECONDS
        # autobahn drops the TCP connection, unanswered, when the opening handshake outlasts
        # its timeout (daphne's default 5 s), and daphne answers 403 past its connect timeout.
        self.websocket_handshake_timeout = settings.WS_HANDSHAKE_SECONDS
        self.websocket_connect_timeout = settings.WS_HANDSHAKE_SECONDS
        self.signal_handlers = False
        self.endpoints = [with_backlog(e, settings.LISTEN_BACKLOG) for e in self.endpoints]

    def run(self: Server) -> None:
        from twisted.internet import reactor

        reactor.callWhenRunning(_install_drain, reactor)
        logger.info("serving", extra={"worker": settings.WORKER_ID})
        server_run(self)
        logging.shutdown()
        os._exit(0)

    Server.__init__ = init
    Server.run = run


def with_backlog(endpoint: str, backlog: int) -> str:
    """A Twisted listening endpoint with ``backlog`` pending connections, unless it names its own.

    Twisted's default is 50: a burst of reconnects (another worker's drain sends its clients
    here at once, a load balancer's retry storm) overflows it and the kernel drops handshakes,
    which clients see as a connection that never answers."""
    kind = endpoint.split(":", 1)[0]
    if kind not in {"tcp", "tcp6", "ssl", "unix"} or "backlog=" in endpoint:
        return endpoint
    return f"{endpoint}:backlog={backlog}"


# How long daphne lets a consumer finish after its socket closed before it is killed.
APPLICATION_CLOSE_SECONDS = 5
