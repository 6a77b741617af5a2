"""Serve medstream with daphne: ``python -m medstream.serve [--bind 127.0.0.1] [--port 8000]
[--proxy-headers]``.

The same as ``daphne medstream.asgi:application`` with the same options: loading the
application adapts daphne (``medstream.launch``: close codes, frame limits, pings, the drain on
SIGTERM), whichever command starts it.
"""

from __future__ import annotations

import argparse
import os


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


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medstream.settings")
    # daphne.server installs Twisted's asyncio reactor, so it must come before the reactor.
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    from medstream.asgi import application

    proxy = args.proxy_headers
    Server(
        application=application,
        endpoints=build_endpoint_description_strings(host=args.bind, port=args.port),
        proxy_forwarded_address_header="X-Forwarded-For" if proxy else None,
        proxy_forwarded_port_header="X-Forwarded-Port" if proxy else None,
        proxy_forwarded_proto_header="X-Forwarded-Proto" if proxy else None,
    ).run()


if __name__ == "__main__":
    main()
