"""One API process of the local stack: Chalice's local server on the listening socket the stack
opened and handed down (``--fd``).

Several of these serve one port, as several Lambda instances serve one API: the kernel hands
each new connection to whichever process accepts first, so the API's Python work spreads over
the machine's cores instead of sharing one interpreter lock with the queue workers and the
timer (which stay in the stack's own process). Like Lambda instances, each process has its own
in-memory caches (brands, gateways, commission rates: 30 s at most, README "Local stack").
The dev clock is shared by every process of the stack (settings.share_clock).

    python -m chalicelib.devstack.api_server --fd 3 --host 127.0.0.1 --port 8000   # by stack.py
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
from typing import Any

from chalice import local
from chalice.deploy.validate import validate_routes

from chalicelib.devstack.config import ROOT
from chalicelib.devstack.stack import (
    chalice_config,
    configure_logging,
    fewer_malloc_arenas,
    reset_app_state,
)
from chalicelib.http.routing import resolve
from chalicelib.routes import all_routes
from chalicelib.store import aws, base, schema


def server_class(fd: int) -> type:
    """Chalice's threaded server on the inherited socket ``fd`` instead of binding its own."""

    class InheritedSocketServer(local.ThreadedHTTPServer):  # type: ignore[misc, valid-type]
        daemon_threads = True

        def __init__(self, address: Any, handler: Any) -> None:
            super().__init__(address, handler, bind_and_activate=False)
            self.socket.close()
            self.socket = socket.socket(fileno=fd)
            host, port = self.socket.getsockname()[:2]
            self.server_name, self.server_port = host, port

    return InheritedSocketServer


def warm() -> None:
    """Import every handler and body before accepting: a Lambda imports lazily to start fast,
    but a local process that serves for hours should not make its first callers wait."""
    for route in all_routes():
        resolve(route.handler)
        if route.body:
            resolve(route.body)
    base.connect_all()
    for service in ("sqs", "ses", "s3"):
        aws.client(service)
    for queue in schema.QUEUES:
        aws.queue_url(queue.name)


def serve(fd: int, host: str, port: int) -> None:
    reset_app_state()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import app  # after the stack's environment

    validate_routes(app.routes)  # as `chalice local` does: what API Gateway would refuse
    warm()
    local.CustomLocalChalice.__bases__ = (local.LocalChalice, app.__class__)
    app.__class__ = local.CustomLocalChalice
    dev = local.LocalDevServer(app, chalice_config(), host, port, server_cls=server_class(fd))
    stopping = threading.Event()

    def on_term(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever, so it can't run on the serving thread itself.
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=dev.server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the stack, which stops us
    dev.server.serve_forever(poll_interval=0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.devstack.api_server")
    parser.add_argument("--fd", type=int, required=True, help="the listening socket, inherited")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    fewer_malloc_arenas()  # a thread per connection, argon2's 19 MiB per login (see there)
    configure_logging()
    serve(args.fd, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
