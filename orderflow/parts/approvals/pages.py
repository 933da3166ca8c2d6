"""Render the approval pages (approval_ui/) with the headers every page carries.

Jinja2 autoescapes everything: order fields are text, whatever they contain.
The Content-Security-Policy allows no script at all, styles only from the
page's own origin, forms posting only back to it, and no framing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jinja2

import approval_ui
from orderflow.domain.records import OutboxMessage
from orderflow.parts.approvals.mail import LINK_RE

CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    # The origin, never the path (the token): and unlike no-referrer, a form
    # posted back here then carries its real Origin, not "null", so the page's
    # origin can be checked (functions/approval_api).
    "Referrer-Policy": "strict-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
}
HTML = "text/html; charset=utf-8"
CSS = "text/css; charset=utf-8"
# Relative to /approvals/<token>, so it works under any base path.
CSS_HREF = "static/approval.css"
# From a page at the root (the local stack's /outbox and /timeline).
ROOT_CSS_HREF = "/approvals/" + CSS_HREF

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(approval_ui.TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Page:
    """A rendered answer: status, headers (security ones included) and body."""

    status: int
    body: str
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURITY_HEADERS))

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """Status, headers with the content type, and the encoded body."""
        headers = {**self.headers, "Content-Type": self.content_type}
        return self.status, headers, self.body.encode()


def render(template: str, status: int = 200, **context: Any) -> Page:
    """Render ``template`` into a page with the security headers."""
    context.setdefault("css_href", CSS_HREF)
    return Page(status, _env.get_template(template).render(**context))


def stylesheet() -> Page:
    """The stylesheet, with the same headers as every page."""
    return Page(200, (approval_ui.STATIC / "approval.css").read_text(), CSS)


class Problem(StrEnum):
    """Why a link cannot be used, each with its page."""

    TAMPERED = "tampered"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    DECIDED = "decided"
    CLOSED = "closed"
    FORBIDDEN = "forbidden"
    TOO_LARGE = "too-large"
    UNREADABLE = "unreadable"
    UNAVAILABLE = "unavailable"
    SYSTEM = "system"
    NOT_FOUND = "not-found"


_PROBLEMS: dict[Problem, tuple[int, str, str]] = {
    Problem.TAMPERED: (
        400,
        "This link is damaged",
        "The link does not look like one we sent: part of it may be missing or "
        "changed. Open it again from your email, or copy the whole link.",
    ),
    Problem.UNKNOWN: (
        404,
        "We do not know this link",
        "No approval was ever sent with this link. It may belong to another "
        "installation, or it may have been mistyped.",
    ),
    Problem.EXPIRED: (
        410,
        "This link has expired",
        "The time to decide has passed, so this link no longer works. Nothing "
        "was recorded.",
    ),
    Problem.CLOSED: (
        410,
        "This request was closed",
        "It was closed before anyone decided it, so a decision made with this "
        "link does not take effect. Nothing was recorded, and nothing more is "
        "needed from you.",
    ),
    Problem.DECIDED: (
        409,
        "Already decided",
        "This approval has been decided already; a second decision is not recorded.",
    ),
    Problem.FORBIDDEN: (
        403,
        "This form could not be verified",
        "The decision did not come from the approval page we served, so it was "
        "not recorded. Open the link from your email and decide there.",
    ),
    Problem.TOO_LARGE: (413, "Too much data", "The form sent was too large."),
    Problem.UNREADABLE: (
        400,
        "This form could not be read",
        "What was sent is not a form our page sends, so nothing was recorded. "
        "Open the link from your email and decide there.",
    ),
    Problem.UNAVAILABLE: (
        503,
        "Your decision was not recorded",
        "We could not pass your decision on just now. Nothing was recorded: "
        "open the link again in a minute and decide once more.",
    ),
    Problem.SYSTEM: (
        500,
        "This approval cannot be completed",
        "Something is wrong on our side with this order. The order has been "
        "flagged for the operations team; nothing more is needed from you.",
    ),
    Problem.NOT_FOUND: (404, "Not found", "There is no page here."),
}


def problem(kind: Problem, detail: str | None = None) -> Page:
    """The page for ``kind``, with an optional line of detail."""
    status, title, message = _PROBLEMS[kind]
    return render(
        "problem.html",
        status,
        kind=kind.value,
        title=title,
        message=message,
        detail=detail,
    )


def mailbox(messages: list[OutboxMessage]) -> Page:
    """The local outbox as a mailbox page, newest first, links clickable."""
    shown = []
    for message in reversed(messages):
        parts: list[tuple[str, bool]] = []
        last = 0
        for match in LINK_RE.finditer(message.body):
            parts += [(message.body[last : match.start()], False)]
            parts += [(match.group(0), True)]
            last = match.end()
        parts.append((message.body[last:], False))
        shown.append({**message.__dict__, "parts": parts})
    return render("mailbox.html", messages=shown, css_href=ROOT_CSS_HREF)
