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

_TOKEN_PATH = re.compile(r"/approvals/[^/\s?\"]+(?=[\s?\"]|$)")
_CALLBACK_PATH = re.compile(r"(/durable-execution-callbacks/)[^/\s\"]+")
# The emulator's callback ids are base64 of a JSON object: they start "eyJ".
_CALLBACK_ID = re.compile(r"eyJ[A-Za-z0-9+/=_%-]{16,}")


def redact(text: str) -> str:
    """``text`` with approval tokens and callback ids replaced by placeholders."""
    text = _TOKEN_PATH.sub("/approvals/{token}", text)
    text = _CALLBACK_PATH.sub(r"\1{id}", text)
    return _CALLBACK_ID.sub("{callback-id}", text)


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
