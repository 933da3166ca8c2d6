"""Keep approval tokens and callback ids out of the local stack's logs.

Both are credentials: a token decides an approval through the page, a callback id
completes the callback through the Lambda API. The local HTTP API logs routes
instead of token paths, the Lambda endpoint cuts ids out of its request lines, and
the durable emulator's log records (its warnings quote callback ids) pass through
``RedactingFilter``.
"""

from __future__ import annotations

import logging
import re

# A path's segments after one of these prefixes are secrets: an approval token
# (or part of one: a damaged token still carries most of its bits), a callback
# id. Every segment is cut out, whatever the slashes around it (doubled, a
# trailing one, an encoded %2F), except the route's own words.
_SECRET_PATHS = re.compile(
    r"(?P<prefix>/(?:approvals|durable-execution-callbacks))"
    r"(?P<rest>(?:(?:/|%2F)[^/\s?\"'#]*)+)",
    re.IGNORECASE,
)
READABLE = {
    "/approvals": frozenset({"static", "approval.css"}),
    "/durable-execution-callbacks": frozenset({"succeed", "fail", "heartbeat"}),
}
PLACEHOLDER = {"/approvals": "{token}", "/durable-execution-callbacks": "{id}"}
# The emulator's callback ids are base64 of a JSON object: they start "eyJ".
_CALLBACK_ID = re.compile(r"eyJ[A-Za-z0-9+/=_%-]{16,}")


def _segments_cut(match: re.Match[str]) -> str:
    prefix = match["prefix"]
    kind = prefix.lower()
    segments = []
    for piece in match["rest"].split("/"):
        # An encoded slash right after a slash is read as one more; one inside
        # a segment is the segment's (a quoted callback id holds them).
        cut = 0
        while piece[cut : cut + 3].lower() == "%2f":
            cut += 3
        slashes, value = piece[:cut], piece[cut:]
        if value and value not in READABLE[kind]:
            value = PLACEHOLDER[kind]
        segments.append(slashes + value)
    return prefix + "/".join(segments)


def redact(text: str) -> str:
    """``text`` with approval tokens and callback ids replaced by placeholders."""
    return _CALLBACK_ID.sub("{callback-id}", _SECRET_PATHS.sub(_segments_cut, text))


class RedactingFilter(logging.Filter):
    """A handler filter that redacts every record's message before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message; never drops a record."""
        record.msg, record.args = redact(record.getMessage()), None
        return True


def redact_root_handlers() -> None:
    """Put ``RedactingFilter`` on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
