"""DynamoDB: approval links, the audit trail, and reading one outbox message.

A mixin of ``DynamoDbStore``, kept apart so each module stays short. Items:

- ``LINK#<token_hash>`` / ``LINK``: a link's record (never the token), deleted
  by the table's TTL (``TTL_ATTRIBUTE``) ``LINK_KEPT_AFTER_EXPIRY`` after the
  link expires: until then a late click gets "expired", not "unknown". Also
  keyed in ``by-order`` (``LINK#<seq>``), where ``replace_link`` finds the
  links of an approval: an index read, so a link stored a moment earlier may
  be missed (a re-issue then says there is no live link; try again).
- ``AUDIT#<order_id>`` / ``AUDIT#<entry_id>``: one audit entry, in a partition
  of the subject's audit trail alone, so ``list_audit`` is one strongly
  consistent query and a role may append to trails without any right on the
  subject's own items (IAM's ``dynamodb:LeadingKeys`` sees partitions, not sort
  keys; docs/design.md#least-privilege-per-item). Entries written before the
  trail had its own partition (``ORDER#<order_id>`` / ``AUDIT#<entry_id>``)
  are still listed.

A decision and its audit entry go in one ``TransactWriteItems``: both or neither.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from orderflow.domain.records import ApprovalLink, AuditEntry, OutboxMessage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        TransactWriteItemTypeDef,
    )

_DECIDED = ("APPROVED", "REJECTED")
TTL_ATTRIBUTE = "expires_at_epoch"  # the table's TimeToLiveSpecification
LINK_KEPT_AFTER_EXPIRY = timedelta(days=30)


# Attributes that keep the names they had when orders were the only subjects, so
# items written before stay readable (docs/design.md#the-store).
STORED_AS = {"subject_id": "order_id", "body": "order"}
READ_AS = {v: k for k, v in STORED_AS.items()}


def stored(record: Any) -> dict[str, Any]:
    """A record's attributes, under their stored names."""
    return {STORED_AS.get(k, k): v for k, v in asdict(record).items()}


class DynamoDbApprovalRecords:
    """Links, audit and outbox reads for ``DynamoDbStore``."""

    table_name: str
    client: DynamoDBClient

    # Provided by DynamoDbStore.
    def _get(self, kind: str, ident: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _put_new(self, item: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _query(self, index: str | None, pk: str, prefix: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _update(
        self,
        kind: str,
        ident: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> bool:
        raise NotImplementedError

    def put_link(self, link: ApprovalLink) -> bool:
        """Store an approval link's record; False (and no change) if it exists."""
        return self._put_new(_link_item(link))

    def get_link(self, token_hash: str) -> ApprovalLink | None:
        """One link by its token's hash."""
        item = self._get("LINK", token_hash)
        return None if item is None else _link(item)

    def replace_link(
        self,
        callback_id: str,
        token_hash: str,
        *,
        at: str,
        audit: AuditEntry | None = None,
    ) -> ApprovalLink | None:
        """Store the callback's live link under ``token_hash``; the old ones expire.

        One transaction: each old link's expiry moves to ``at`` only if it is
        still the one read, the new record only if its hash is new, and ``audit``.
        """
        from orderflow.adapters.dynamodb_store import BY_ORDER, _to_item

        approval = self._get("APPROVAL", callback_id)
        if approval is None:
            return None
        now = datetime.fromisoformat(at)
        live = sorted(
            (
                i
                for i in self._query(BY_ORDER, f"ORDER#{approval['order_id']}", "LINK#")
                if i["callback_id"] == callback_id
                and datetime.fromisoformat(i["expires_at"]) > now
            ),
            key=lambda i: str(i["created_at"]),
        )
        if not live:
            return None
        fresh = replace(_link(live[-1]), token_hash=token_hash, created_at=at)
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _to_item({"pk": old["pk"], "sk": old["sk"]}),
                    "UpdateExpression": "SET expires_at = :at",
                    "ConditionExpression": "expires_at = :seen",
                    "ExpressionAttributeValues": _to_item(
                        {":at": at, ":seen": old["expires_at"]}
                    ),
                }
            }
            for old in live
        ]
        writes.append(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _to_item(_link_item(fresh)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        if audit is not None:
            writes.append(
                {"Put": {"TableName": self.table_name, "Item": self._audit_item(audit)}}
            )
        try:
            self.client.transact_write_items(TransactItems=writes)
        except self.client.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return None
            raise
        return fresh

    def reopen_approval(
        self,
        callback_id: str,
        *,
        claimed_at: str,
        status: str,
        at: str,
        comment: str | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """Undo the decision made at ``claimed_at``: to PENDING or EXPIRED."""
        item = self._get("APPROVAL", callback_id)
        if item is None or item["status"] not in _DECIDED:
            return False
        expired = status == "EXPIRED"
        return self.write_decision(
            callback_id,
            str(item["seq"]),
            status=status,
            by="orderflow" if expired else None,
            at=at if expired else None,
            comment=comment if expired else None,
            condition="#status IN (:approved, :rejected) AND decided_at = :claimed",
            condition_values={
                ":claimed": claimed_at,
                ":approved": _DECIDED[0],
                ":rejected": _DECIDED[1],
            },
            audit=audit,
        )

    def write_decision(
        self,
        callback_id: str,
        seq: str,
        *,
        status: str,
        by: str | None,
        at: str | None,
        comment: str | None,
        condition: str,
        condition_values: dict[str, Any],
        audit: AuditEntry | None,
    ) -> bool:
        """Set an approval's decision fields (and its by-kind sort key) if
        ``condition`` holds, with ``audit`` in the same transaction."""
        update = (
            "SET #status = :status, decided_by = :by, decided_at = :at,"
            " #comment = :comment, gsi2sk = :sort"
        )
        values = {
            ":status": status,
            ":by": by,
            ":at": at,
            ":comment": comment,
            ":sort": f"{status}#{seq}",
        } | condition_values
        names = {"#status": "status", "#comment": "comment"}  # reserved words
        return self.update_with_audit(
            "APPROVAL", callback_id, update, condition, values, names, audit
        )

    def update_with_audit(
        self,
        kind: str,
        ident: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str],
        audit: AuditEntry | None,
    ) -> bool:
        """A conditional update, and ``audit`` with it in one transaction."""
        if audit is None:
            return self._update(kind, ident, update, condition, values, names)
        from orderflow.adapters.dynamodb_store import _to_item

        writes: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _to_item({"pk": f"{kind}#{ident}", "sk": kind}),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": _to_item(values),
                    "ExpressionAttributeNames": names,
                }
            },
            {"Put": {"TableName": self.table_name, "Item": self._audit_item(audit)}},
        ]
        try:
            self.client.transact_write_items(TransactItems=writes)
        except self.client.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    def _audit_item(self, entry: AuditEntry) -> dict[str, AttributeValueTypeDef]:
        from orderflow.adapters.dynamodb_store import _next_seq, _to_item

        key = {"pk": f"AUDIT#{entry.subject_id}", "sk": f"AUDIT#{entry.entry_id}"}
        return _to_item(key | {"seq": _next_seq()} | stored(entry))

    def add_audit(self, entry: AuditEntry) -> bool:
        """Append to the order's audit trail; False (no change) if the id exists."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=self._audit_item(entry),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def list_audit(self, subject_id: str) -> list[AuditEntry]:
        """The order's audit trail, oldest first (with entries of the old layout)."""
        items = [
            *self._query(None, f"AUDIT#{subject_id}", "AUDIT#"),
            *self._query(None, f"ORDER#{subject_id}", "AUDIT#"),
        ]
        items.sort(key=lambda i: (i["at"], str(i["seq"])))
        return [_pick(AuditEntry, i) for i in items]

    def get_outbox(self, message_id: str) -> OutboxMessage | None:
        """One message by id, read strongly consistent."""
        item = self._get("OUTBOX", message_id)
        return None if item is None else _pick(OutboxMessage, item)


def _link_item(link: ApprovalLink) -> dict[str, Any]:
    """A link's item: its record, its deletion time, its key in ``by-order``."""
    from orderflow.adapters.dynamodb_store import _next_seq

    gone = datetime.fromisoformat(link.expires_at) + LINK_KEPT_AFTER_EXPIRY
    by_order = {"gsi1pk": f"ORDER#{link.subject_id}", "gsi1sk": f"LINK#{_next_seq()}"}
    return (
        {"pk": f"LINK#{link.token_hash}", "sk": "LINK"}
        | stored(link)
        | by_order
        | {TTL_ATTRIBUTE: int(gone.timestamp())}
    )


def _link(item: dict[str, Any]) -> ApprovalLink:
    item["scope"], item["reasons"] = tuple(item["scope"]), tuple(item["reasons"])
    return _pick(ApprovalLink, item)


R = TypeVar("R")


def _pick(cls: type[R], item: dict[str, Any]) -> R:
    """``dynamodb_store._record``, imported late: that module imports this one."""
    from orderflow.adapters.dynamodb_store import _record

    return _record(cls, item)
