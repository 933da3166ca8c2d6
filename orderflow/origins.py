"""Which web origin a request may come from: the public URL's, or none at all.

A browser names the page a POST comes from in its ``Origin`` header, and no
page can forge it. A POST from another origin (a cross-site form, a
DNS-rebinding page, a sandboxed frame's ``null``) is refused, in AWS and
locally alike; a request without the header (the CLI, curl, an SDK) is not
a browser page's, and other checks apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case, default port left out."""
    split = urlsplit(url)
    scheme, host = split.scheme.lower(), (split.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = split.port
    except ValueError:  # not a port: not an origin this API has
        return url
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def expected_origin(public_url: str, domain_name: str) -> str:
    """The origin of this API's pages: the public URL's, else its own domain's
    (the same fallback as the links and status URLs)."""
    return origin_of(public_url or f"https://{domain_name}")


def foreign_origin(headers: Mapping[str, str], expected: str) -> str | None:
    """The request's ``Origin`` if it is present and not ``expected``."""
    given = {k.lower(): v for k, v in headers.items()}.get("origin")
    if given is None or origin_of(given) == expected:
        return None
    return given
