"""One HTTP POST to a brand's endpoint, to the address ssrf.resolve checked (no second DNS
lookup), with TLS verified against the URL's host name, no redirects followed, a timeout, and
at most ``MAX_RESPONSE`` bytes of the answer read."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from typing import NamedTuple

from chalicelib.webhooks.ssrf import Target

TIMEOUT_SECONDS = 10
MAX_RESPONSE = 1024


class Outcome(NamedTuple):
    status_code: int | None
    response: str  # the first MAX_RESPONSE bytes of the answer, or the error
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, checking the certificate against ``host``."""

    def __init__(self, host: str, address: str, port: int | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, address: str, headers: dict[str, str], body: bytes,
         timeout: float = TIMEOUT_SECONDS) -> Outcome:
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    started = time.monotonic()
    # An IPv6 literal goes in brackets with its port (http.client would read its last group as
    # the port otherwise); http.client keeps the bare address as the host.
    if ":" in target.host:
        conn = cls(f"[{target.host}]:{target.port}", address, None, timeout)
    else:
        conn = cls(target.host, address, target.port, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read(MAX_RESPONSE).decode("utf-8", "replace")
        return Outcome(resp.status, text, _ms(started), None)
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        return Outcome(None, "", _ms(started), f"{type(e).__name__}: {e}"[:MAX_RESPONSE])
    finally:
        conn.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
