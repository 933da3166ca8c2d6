"""Decide an approval the way an approver does: through its link and its page.

``orderflow approve/reject`` finds the link in the approval's email (the store
keeps only the token's hash, so the local outbox, the approvers' mailbox, is
the one place the link is; ``orderflow reissue`` queues a fresh one there) or
takes the link it is given, GETs the page for its CSRF value and POSTs the
decision. The decision is
then bound to the link's approver, audited and completed exactly like a click.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request

from orderflow.domain.records import ApprovalRequest
from orderflow.parts.approvals.mail import LINK_RE, links_in
from orderflow.parts.approvals.steps import approval_message_id
from orderflow.ports import Store

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_TITLE = re.compile(r"<h1>(.*?)</h1>", re.S)
_DETAIL = re.compile(r'<p class="muted">(.*?)</p>', re.S)


class LinkError(Exception):
    """The link could not be used; the message says why, in the page's words."""


def link_for(store: Store, approval: ApprovalRequest) -> str | None:
    """The newest link in ``approval``'s emails (as sent, or as re-issued).

    None if no copy holds one: SES copies and the deployed outbox keep none.
    """
    first = approval_message_id(approval.callback_id)
    links = [
        link
        for m in store.list_outbox(subject_id=approval.subject_id)
        if m.message_id == first or m.message_id.startswith(f"{first}-")
        for link in links_in(m.body)
    ]
    return links[-1] if links else None


def rebase(link: str, api_url: str) -> str:
    """``link`` pointed at ``api_url`` (the stack may listen elsewhere now)."""
    match = LINK_RE.search(link)
    if match is None:
        raise LinkError(f"not an approval link: {link}")
    return f"{api_url.rstrip('/')}/approvals/{match.group('token')}"


def _fetch(url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)  # noqa: S310 - our own stack
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except urllib.error.URLError as e:
        raise LinkError(
            f"cannot reach {url.split('/approvals/')[0]}: {e.reason}"
        ) from e


def _says(page: str) -> str:
    """The page's headline and detail, as plain text."""
    parts = [m.group(1) for m in (_TITLE.search(page), _DETAIL.search(page)) if m]
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", p)).strip() for p in parts]
    text = ". ".join(t.rstrip(".") for t in texts if t)
    return html.unescape(text + "." if text else "no answer")


def decide(link: str, *, approve: bool, comment: str | None) -> str:
    """Open ``link``, then approve or reject on its page; the result's headline.

    Raises:
        LinkError: the link is expired, used, unknown, or the stack refused.
    """
    status, page = _fetch(link)
    found = _CSRF.search(page)
    if status != 200 or found is None:
        raise LinkError(_says(page))
    form = {"csrf": html.unescape(found.group(1))}
    form["decision"] = "approve" if approve else "reject"
    if comment:
        form["comment"] = comment
    status, page = _fetch(link, form)
    if status != 200:
        raise LinkError(_says(page))
    return _says(page)
