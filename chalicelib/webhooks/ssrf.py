"""Where a webhook may be sent: judged as a browser reads the URL, and again at send time.

A brand names the URL, and our servers POST to it, so the URL must not reach into our own
network (server-side request forgery). On deployed stages:

- ``https`` only, port 443 (none written, or ``:443``); no user name or password in the URL;
- the host is a DNS name or a public IP address: loopback, private, link-local (the cloud
  metadata address 169.254.169.254), multicast, reserved, unspecified, shared (100.64/10) and
  IPv4-mapped IPv6 forms of those are refused;
- IPv4 written as a browser would still read it (``2130706433``, ``0x7f.1``, ``0177.0.0.1``:
  decimal, hex and octal forms, WHATWG's IPv4 parser) is refused unless written as four plain
  decimal numbers, and then judged as an address; ``localhost`` and ``*.localhost`` too;
- non-ASCII hosts must be written in their ``xn--`` form; backslashes, spaces, control
  characters and percent-escapes in the host are refused (browsers rewrite them);
- at send time the host is resolved and EVERY answer must be public, and the connection goes
  to the address that was checked (``resolve``), so a DNS answer changed after the check
  (rebinding) can't redirect the POST. Redirects are not followed.

On local stages (``local``, ``test``) ``http`` and loopback or private addresses are allowed,
so a receiver on 127.0.0.1 works; the URL's form rules still apply.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from chalicelib.http.errors import BadRequest

MAX_URL = 2000
_HOST_CHARS = re.compile(r"^[a-z0-9.-]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_BAD_CHARS = re.compile(r"[\s\\\x00-\x1f\x7f]")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Target(NamedTuple):
    scheme: str
    host: str  # lower case, no trailing dot; an IPv6 address without brackets
    port: int
    path: str  # path and query, as sent on the request line


def _refuse(message: str) -> BadRequest:
    return BadRequest(f"url: {message}", field="url")


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 host (decimal, 0x hex, 0 octal); None when not a number."""
    if part.lower().startswith("0x"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0 if base == 16 else None
    try:
        return int(digits, base)
    except ValueError:
        return None


def whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in ``host`` (any of its numeric forms), else None."""
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    if not parts or _ipv4_number(parts[-1]) is None:
        return None  # the last label isn't a number: a domain name
    numbers = [_ipv4_number(p) for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise _refuse(f"{host!r} is neither a domain name nor an IPv4 address.")
    *head, last = [int(n) for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise _refuse(f"{host!r} is not a valid IPv4 address.")
    value = last
    for i, n in enumerate(head):
        value += n * 256 ** (3 - i)
    return ipaddress.IPv4Address(value)


def is_public(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour, ip.teredo and ip.teredo[1]):
            if embedded is not None and not is_public(embedded):
                return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback
                                 or ip.is_link_local or ip.is_private or ip.is_unspecified)


def _check_ip(ip: Address, local: bool, written: str) -> None:
    if not local and not is_public(ip):
        raise _refuse(f"{written} is not a public address (loopback, private, link-local, "
                      "multicast and reserved addresses are refused).")


def check_url(url: str, *, local: bool) -> Target:
    """The URL's parts, or a 400 naming what is wrong with it (see the module's rules)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise _refuse(f"give an absolute https URL of at most {MAX_URL} characters.")
    if _BAD_CHARS.search(url):
        raise _refuse("spaces, backslashes and control characters are not allowed.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise _refuse(f"not a valid URL ({e}).") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if local else ("https",)
    if scheme not in allowed:
        raise _refuse("must start with https://" + (" or http://" if local else "") + ".")
    if not parts.netloc:
        raise _refuse("has no host.")
    if "@" in parts.netloc or parts.username is not None:
        raise _refuse("must not carry a user name or password.")
    if parts.fragment:
        raise _refuse("must not have a #fragment.")
    netloc = parts.netloc
    if netloc.startswith("["):
        raw_host = netloc[:netloc.find("]") + 1]
    else:
        raw_host = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    if raw_host.startswith("["):
        try:
            ip6 = ipaddress.IPv6Address(raw_host[1:-1])
        except ValueError:
            raise _refuse(f"{raw_host} is not an IPv6 address.") from None
        _check_ip(ip6, local, raw_host)
        host = str(ip6)
    else:
        host = raw_host.lower()
        if not host.isascii():
            raise _refuse("write an international host name in its xn-- (punycode) form.")
        if not _HOST_CHARS.match(host):
            raise _refuse(f"the host {raw_host!r} has characters a host name can't have.")
        host = host[:-1] if host.endswith(".") else host
        ip4 = whatwg_ipv4(host)
        if ip4 is not None:
            if host != str(ip4):
                raise _refuse(f"write the IPv4 address {host!r} as four decimal numbers "
                              f"({ip4}).")
            _check_ip(ip4, local, host)
        else:
            if not all(_LABEL.match(label) for label in host.split(".")) or len(host) > 253:
                raise _refuse(f"{raw_host!r} is not a valid host name.")
            if not local and (host == "localhost" or host.endswith(".localhost")
                              or "." not in host):
                raise _refuse(f"{host} is not a public host name.")
    default = 443 if scheme == "https" else 80
    port = port if port is not None else default
    if not local and port != 443:
        raise _refuse("must use port 443.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, path)


def resolve(target: Target, *, local: bool) -> str:
    """The address to connect to: every DNS answer must be public (else a BadRequest, which
    the sender records as a failed attempt)."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise BadRequest(f"{target.host} does not resolve ({e}).") from None
    addresses = [ipaddress.ip_address(a[4][0].split("%")[0]) for a in answers]
    if not addresses:
        raise BadRequest(f"{target.host} does not resolve.")
    for ip in addresses:
        if not local and not is_public(ip):
            raise BadRequest(f"{target.host} resolves to {ip}, which is not a public address.")
    return str(addresses[0])
