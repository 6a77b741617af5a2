"""Serve medstream with daphne, and drain on SIGTERM instead of dropping streams.

``python -m medstream.serve [--bind 127.0.0.1] [--port 8000] [--proxy-headers]``

daphne's own signal handling stops the reactor at once, cancelling every consumer (clients see
1006 and any stream that was running waits for a takeover). Here SIGTERM (or SIGINT) first
stops taking new sockets and streams (``/readyz`` answers 503 so the load balancer looks
elsewhere), gives running streams ``DRAIN_GRACE_SECONDS`` to finish, hands over the rest by
releasing their leases, closes every socket with 1012 (service restart: reconnect and resume),
and only then stops.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

logger = logging.getLogger("medstream.serve")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m medstream.serve", description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from a reverse proxy (behind nginx only)",
    )
    return parser.parse_args(argv)


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


# Close codes registered with IANA that the service sends: 1008 policy, 1009 too big, 1011
# internal error, 1012 service restart, 1013 try again later.
REGISTERED_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011, 1012, 1013})


def allow_registered_close_codes() -> None:
    """Let the application close sockets with the IANA-registered codes it documents.

    autobahn's ``sendClose`` (under daphne) refuses any code but 1000 and 3000-4999
    (crossbario/autobahn-python#1642, django/daphne#374, both open), so a consumer's
    ``close(1012)`` raised instead of closing. Its ``sendCloseFrame``, which ``sendClose`` calls
    after that check, sends them as RFC 6455 and the IANA registry allow.
    """
    from daphne.ws_protocol import WebSocketProtocol

    def server_close(self, code: int | None = None) -> None:
        if code in REGISTERED_CLOSE_CODES:
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


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medstream.settings")
    # daphne.server installs Twisted's asyncio reactor, so it must come before the reactor.
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.conf import settings
    from twisted.internet import reactor

    from medstream.asgi import application

    proxy = args.proxy_headers
    server = Server(
        application=application,
        endpoints=build_endpoint_description_strings(host=args.bind, port=args.port),
        signal_handlers=False,
        ping_interval=settings.WS_PING_INTERVAL_SECONDS,
        ping_timeout=settings.WS_PING_TIMEOUT_SECONDS,
        websocket_max_message_size=settings.WS_MAX_FRAME_BYTES,
        websocket_max_frame_size=settings.WS_MAX_FRAME_BYTES,
        proxy_forwarded_address_header="X-Forwarded-For" if proxy else None,
        proxy_forwarded_port_header="X-Forwarded-Port" if proxy else None,
        proxy_forwarded_proto_header="X-Forwarded-Proto" if proxy else None,
        application_close_timeout=5,
    )
    allow_registered_close_codes()
    close_with_reason()
    close_instead_of_dropping()
    limit_only_what_clients_send()
    reactor.callWhenRunning(_install_drain, reactor)
    logger.info(f"serving on {args.bind}:{args.port}", extra={"worker": settings.WORKER_ID})
    server.run()
    # Everything worth keeping is in the database. A database call stuck in a worker thread
    # (the case a drain hands over) must not keep the process alive after the reactor stopped.
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
