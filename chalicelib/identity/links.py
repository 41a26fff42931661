"""Links we mail or redirect users to: is a link one of the brand's own pages?

One rule for every link a caller gives us that ends up in front of a user (the reset-password
link today). A link is judged as a browser's WHATWG URL parser reads it, not as ``urlsplit``
does: where the two could disagree about the host, the link is refused rather than guessed.

- Refused anywhere in the link: ASCII control characters (tab, newline and CR are silently
  dropped by browsers, so ``ht\\ttp://`` is ``http://`` to them), spaces, invisible format
  characters, and backslashes (browsers read ``\\`` as ``/`` in http(s) links, so
  ``http://evil.example\\@brand.example`` goes to ``evil.example``).
- The link must start with ``http://`` or ``https://`` followed by a host: no other scheme, no
  scheme-relative ``//host``, no ``http:host`` or ``http:///host`` (browsers repair those).
- The authority (from ``//`` to the first ``/``, ``?`` or ``#``) holds no ``@`` (no user info,
  so nothing before an ``@`` can pose as the host) and no ``%`` (browsers percent-decode hosts:
  ``%2e``, ``%40``, ``%5c``).
- The host is lower-cased; a non-ASCII host is converted with IDNA (UTS #46, non-transitional,
  as browsers do), so a look-alike such as a Cyrillic ``е`` becomes its own ``xn--`` name and
  doesn't match the brand. A trailing dot (``brand.example.``) is refused: it is another origin
  to a browser. The port, if any, must be a number; it is not compared (the host decides who
  owns the page).
- The host must then equal one of the brand's domains or an entry of its
  ``domainWhiteListURLs``; an entry ``*.example.com`` allows every subdomain of example.com.
"""

from __future__ import annotations

import re
import unicodedata

from chalicelib.http.errors import BadRequest

_SCHEME = re.compile(r"^(https?)://([^/?#]*)(.*)$", re.IGNORECASE | re.DOTALL)
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_PORT = re.compile(r"^[0-9]{1,5}$")


class LinkError(ValueError):
    """Why a link can't be trusted as written."""


def _refuse_characters(link: str) -> None:
    for ch in link:
        if ch == "\\":
            raise LinkError("it contains a backslash, which browsers read as '/'")
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            raise LinkError(f"it contains the invisible or control character U+{ord(ch):04X}")


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host.lower()
    import idna  # only for non-ASCII hosts; its tables cost a cold start otherwise

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as e:
        raise LinkError(f"its host is not a valid international domain name ({e})") from None


def parse_host(link: str) -> str:
    """The host a browser would open for ``link``, lower-case ASCII; LinkError when the link is
    not a plain http(s) URL whose host every parser agrees on."""
    _refuse_characters(link)
    m = _SCHEME.match(link)
    if m is None:
        raise LinkError("it must start with http:// or https:// followed by a host")
    authority = m.group(2)
    if not authority:
        raise LinkError("it has no host after http(s)://")
    if "@" in authority:
        raise LinkError("it has user info ('@') before the host")
    if "%" in authority:
        raise LinkError("its host is percent-encoded")
    host, sep, port = authority.partition(":")
    if host.startswith("["):
        raise LinkError("its host is an IP address literal")
    if sep and not (_PORT.match(port) and 0 < int(port) < 65536):
        raise LinkError(f"its port '{port}' is not a port number")
    host = _ascii_host(host)
    if host.endswith("."):
        raise LinkError(f"its host '{host}' ends with a dot; write it without the dot")
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise LinkError(f"its host '{host}' is not a host name")
    return host


def host_of_entry(entry: str) -> str | None:
    """The host of a brand's domain or ``domainWhiteListURLs`` entry (``app.example.com``,
    ``https://App.Example.com/login``); None when it is not usable."""
    entry = entry.strip()
    if not entry:
        return None
    if "://" not in entry:
        entry = "https://" + entry
    try:
        return parse_host(entry.rstrip("/").rstrip("."))
    except LinkError:
        return None


def allowed_hosts(brand: dict) -> tuple[set[str], set[str]]:
    """(exact hosts, wildcard suffixes): the brand's domains plus its ``domainWhiteListURLs``
    (a list, or a string separated by commas, semicolons or spaces)."""
    exact = {h for d in brand.get("domains") or [] if d.get("domain")
             if (h := host_of_entry(d["domain"]))}
    listed = (brand.get("setting") or {}).get("domainWhiteListURLs") or []
    if isinstance(listed, str):
        listed = listed.replace(";", ",").replace(" ", ",").split(",")
    suffixes: set[str] = set()
    for entry in listed:
        entry = str(entry).strip()
        if entry.startswith("*."):
            host = host_of_entry(entry[2:])
            if host:
                suffixes.add(host)
        else:
            host = host_of_entry(entry)
            if host:
                exact.add(host)
    return exact, suffixes


def check_brand_link(brand: dict, link: str, field: str) -> str:
    """``link`` itself when it opens one of the brand's own pages; else a 400 naming ``field``."""
    try:
        host = parse_host(link)
    except LinkError as e:
        raise BadRequest(f"{field} must be a plain http(s) URL of one of your brand's pages; "
                         f"this one can't be trusted: {e}.", code="LINK_INVALID",
                         field=field) from None
    exact, suffixes = allowed_hosts(brand)
    if host in exact or any(host.endswith("." + s) for s in suffixes):
        return link
    raise BadRequest(
        f"{field} points at '{host}', which is not one of this brand's domains nor in its "
        "setting domainWhiteListURLs; links are only sent to the brand's own pages (so a "
        "token can't be sent to a site someone else controls). Add the host to "
        "domainWhiteListURLs if it is yours.", code="LINK_NOT_ALLOWED", field=field)
