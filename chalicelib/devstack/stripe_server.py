"""localstripe on one address only, state kept in memory.

localstripe's own ``start()`` binds every interface (``::``) and pickles its state to
``/tmp/localstripe.pickle`` on every write; the local stack wants 127.0.0.1 only and a fresh
start each time, like its moto.
"""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args(argv)

    from aiohttp import web  # after the stack's environment
    from localstripe import server  # a dev-only tool, loaded when the stack starts it
    from localstripe.resources import store  # after the stack's environment

    store.dump_to_disk = lambda: None  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    web.run_app(server.app, host=args.host, port=args.port,
                access_log=logging.getLogger("aiohttp.access"))


if __name__ == "__main__":
    main()
