"""The store on DynamoDB: one table keyed ``pk``/``sk``, and two GSIs.

Items (``<seq>`` is a sortable key from ``time.time_ns()``, see ``_next_seq``):

- ``ORDER#<order_id>`` / ``ORDER``: the read model; order, detail and history
  are native maps and lists, so ``set_status`` merges and appends server-side.
- ``ORDER#<order_id>`` / ``EFFECT#<seq>``: a ledger line in the order's item
  collection, so ``list_effects`` is one strongly consistent query.
- ``EFFECT#<idempotency_key>`` / ``EFFECT``: the key's guard, written in one
  transaction with the ledger line so each key is recorded once, across orders.
- ``LINK#<token_hash>`` / ``LINK`` and ``AUDIT#<order_id>`` / ``AUDIT#<entry_id>``:
  approval links and the audit trail (see ``dynamodb_approvals``).

Each kind of item has a partition key prefix of its own (``ORDER#``, ``EFFECT#``,
``LINK#``, ``APPROVAL#``, ``OUTBOX#``, ``ALERT#``, ``AUDIT#``; none a prefix of
another), so template.yaml scopes each role to the kinds it touches with
``dynamodb:LeadingKeys``.
- ``APPROVAL#<callback_id>`` / ``APPROVAL``, ``OUTBOX#<message_id>`` /
  ``OUTBOX`` and ``ALERT#<alert_id>`` / ``ALERT``, each also keyed in
  ``by-order`` (``gsi1pk`` = ``ORDER#<order_id>``, ``gsi1sk`` = ``<KIND>#<seq>``)
  and ``by-kind`` (``gsi2pk`` = ``<KIND>``, ``gsi2sk`` = ``<status>#<seq>`` for
  approvals, ``<seq>`` for the others). An outbox message is kept with its
  approval links withheld (the table holds no token in any configuration) and
  is deleted by TTL ``OUTBOX_KEPT`` after it was written.

GSI reads are eventually consistent: a listing of approvals or messages may miss
one written a moment earlier. Numbers come back as ``int``, or as ``float`` when
they were stored with a fraction.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from orderflow.adapters.dynamodb_approvals import (
    READ_AS,
    TTL_ATTRIBUTE,
    DynamoDbApprovalRecords,
    stored,
)
from orderflow.domain.records import (
    Alert,
    ApprovalRequest,
    AuditEntry,
    Effect,
    OutboxMessage,
    StatusChange,
    SubjectRecord,
)
from orderflow.parts.approvals.mail import WITHHELD, redact_links
from orderflow.parts.readmodel import RECEIVED, require_terminal

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        TransactWriteItemTypeDef,
    )

R = TypeVar("R")
BY_ORDER, BY_KIND = "by-order", "by-kind"
_GSI = {BY_ORDER: "gsi1", BY_KIND: "gsi2"}
_ABSENT, _EXISTS = "attribute_not_exists(pk)", "attribute_exists(pk)"
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()
_seq_lock = threading.Lock()
# An outbox message (an email without its links, an alert) outlives any approval.
OUTBOX_KEPT = timedelta(days=30)
_last_ns = 0


def table_definition(table_name: str) -> dict[str, Any]:
    """The ``create_table`` arguments; template.yaml declares the same table."""

    def keys(prefix: str) -> list[dict[str, str]]:
        return [
            {"AttributeName": f"{prefix}{name}", "KeyType": kind}
            for name, kind in (("pk", "HASH"), ("sk", "RANGE"))
        ]

    every = ["", *_GSI.values()]
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": "S"}
            for prefix in every
            for a in keys(prefix)
        ],
        "KeySchema": keys(""),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": i,
                "KeySchema": keys(g),
                "Projection": {"ProjectionType": "ALL"},
            }
            for i, g in _GSI.items()
        ],
    }


class DynamoDbStore(DynamoDbApprovalRecords):
    """``orderflow.ports.Store`` on one DynamoDB table."""

    def __init__(
        self, table_name: str, *, client: DynamoDBClient | None = None
    ) -> None:
        self.table_name = table_name
        self.client: DynamoDBClient = client or boto3.client("dynamodb")

    def create_subject(
        self, kind: str, subject_id: str, body: dict[str, Any], *, at: str
    ) -> bool:
        """Insert the subject as RECEIVED; False (and no change) if its id exists."""
        history = (StatusChange(RECEIVED, at),)
        record = SubjectRecord(
            subject_id, kind, RECEIVED, body, at, at, history=history
        )
        return self._put_new(_key("ORDER", subject_id) | stored(record))

    def get_subject(self, subject_id: str) -> SubjectRecord | None:
        """The subject's read model, or None."""
        item = self._get("ORDER", subject_id)
        if item is None:
            return None
        history = tuple(
            StatusChange(h["status"], h["at"], h["detail"]) for h in item["history"]
        )
        # An item written before subjects had kinds is an order's.
        defaults = {"kind": "order"}
        return _record(SubjectRecord, defaults | item | {"history": history})

    def set_status(
        self,
        subject_id: str,
        status: str,
        *,
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Move the subject to ``status``; a repeat of the current one is a no-op."""
        # One atomic write, no read-compare-retry: the condition refuses a repeat
        # (or an unknown subject), detail merges key by key and history grows
        # server-side, so racing writers never lose or double an entry.
        self._move(subject_id, status, at, detail, "#status <> :status", {})

    def end_subject(
        self,
        subject_id: str,
        status: str,
        *,
        terminal: Collection[str],
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Move the subject to ``status`` (in ``terminal``) unless it has ended."""
        require_terminal(status, terminal)
        ended = {f":t{i}": str(s) for i, s in enumerate(sorted(terminal))}
        condition = f"NOT #status IN ({', '.join(ended)})"
        return self._move(subject_id, status, at, detail, condition, ended)

    def _move(
        self,
        subject_id: str,
        status: str,
        at: str,
        detail: dict[str, Any] | None,
        condition: str,
        condition_values: dict[str, Any],
    ) -> bool:
        """Set the status, merge detail, append history, if ``condition`` holds."""
        entry = asdict(StatusChange(status, at, detail or {}))
        names = {"#status": "status"}
        values = {":status": status, ":at": at, ":entry": [entry]}
        sets = ["#status = :status", "updated_at = :at"]
        for i, (name, value) in enumerate((detail or {}).items()):
            names[f"#d{i}"], values[f":d{i}"] = name, value
            sets.append(f"detail.#d{i} = :d{i}")
        sets.append("history = list_append(history, :entry)")
        return self._update(
            "ORDER",
            subject_id,
            "SET " + ", ".join(sets),
            f"{_EXISTS} AND {condition}",
            values | condition_values,
            names,
        )

    def set_execution_arn(self, subject_id: str, execution_arn: str) -> None:
        """Remember which durable execution runs the subject."""
        update, values = "SET execution_arn = :arn", {":arn": execution_arn}
        self._update("ORDER", subject_id, update, _EXISTS, values, {})

    def put_approval(self, approval: ApprovalRequest) -> bool:
        """Store a pending approval; False (and no change) if its id exists."""
        sort_prefix = f"{approval.status}#"
        return self._put_listed("APPROVAL", approval.callback_id, approval, sort_prefix)

    def get_approval(self, callback_id: str) -> ApprovalRequest | None:
        """One approval by callback id."""
        item = self._get("APPROVAL", callback_id)
        return None if item is None else _record(ApprovalRequest, item)

    def list_approvals(
        self,
        *,
        subject_id: str | None = None,
        status: str | None = None,
        created_after: datetime | None = None,
    ) -> list[ApprovalRequest]:
        """Approvals, oldest first, filtered by subject and/or status."""
        if created_after is not None:
            if status is None or subject_id is not None:
                raise ValueError("created_after needs a status and no subject_id")
            # The sort key's seq is time_ns when stored, never before the
            # approval's created_at: the key range reads a superset, then exact.
            since = f"{status}#{int(created_after.timestamp() * 1e9):020d}"
            items = [
                i
                for i in self._query(BY_KIND, "APPROVAL", f"{status}#", since=since)
                if datetime.fromisoformat(i["created_at"]) > created_after
            ]
        elif subject_id is not None:
            items = self._query(BY_ORDER, f"ORDER#{subject_id}", "APPROVAL#")
            items = [i for i in items if status in (None, i["status"])]
        else:
            items = self._query(BY_KIND, "APPROVAL", f"{status}#" if status else "")
            items.sort(key=lambda i: str(i["seq"]))  # merges the statuses
        return [_record(ApprovalRequest, i) for i in items]

    def decide_approval(
        self,
        callback_id: str,
        *,
        status: str,
        decided_by: str,
        at: str,
        comment: str | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """PENDING -> ``status`` with a conditional write; False if not PENDING."""
        item = self._get("APPROVAL", callback_id)
        if item is None or item["status"] != "PENDING":
            return False  # saves a write; the condition below settles any race
        return self.write_decision(
            callback_id,
            str(item["seq"]),
            status=status,
            by=decided_by,
            at=at,
            comment=comment,
            condition="#status = :pending",
            condition_values={":pending": "PENDING"},
            audit=audit,
        )

    def add_outbox(self, message: OutboxMessage) -> bool:
        """Queue a message, its links withheld; False (and no change) if its id exists.

        The table keeps no token, whatever the notifier: each approval link in
        the body becomes its link id and a note that an operator re-issues it
        through the desk (orderflow/parts/approvals/reissue.py). Deleted by the
        table's TTL ``OUTBOX_KEPT`` after it is written.
        """
        kept = replace(message, body=redact_links(message.body, WITHHELD))
        gone = {TTL_ATTRIBUTE: int(time.time() + OUTBOX_KEPT.total_seconds())}
        return self._put_listed("OUTBOX", message.message_id, kept, "", gone)

    def list_outbox(self, *, subject_id: str | None = None) -> list[OutboxMessage]:
        """Messages, oldest first."""
        if subject_id is None:
            items = self._query(BY_KIND, "OUTBOX", "")
        else:
            items = self._query(BY_ORDER, f"ORDER#{subject_id}", "OUTBOX#")
        return [_record(OutboxMessage, i) for i in items]

    def record_effect(self, effect: Effect) -> tuple[Effect, bool]:
        """Record ``effect`` unless its key exists; the stored one, and if new."""
        seq, row = _next_seq(), asdict(effect)
        guard = _key("EFFECT", effect.idempotency_key) | {"seq": seq} | row
        line = {"pk": f"ORDER#{effect.order_id}", "sk": f"EFFECT#{seq}"} | row
        puts: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _to_item(item),
                    "ConditionExpression": _ABSENT,
                }
            }
            for item in (guard, line)
        ]
        try:
            self.client.transact_write_items(TransactItems=puts)
        except self.client.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons") or [{}]
            stored = self._get("EFFECT", effect.idempotency_key)
            if reasons[0].get("Code") != "ConditionalCheckFailed" or stored is None:
                raise
            return _record(Effect, stored), False
        return effect, True

    def list_effects(self, order_id: str) -> list[Effect]:
        """The order's effects in the order they happened."""
        items = self._query(None, f"ORDER#{order_id}", "EFFECT#")
        return [_record(Effect, i) for i in items]

    def add_alert(self, alert: Alert) -> bool:
        """Record an alert; False (and no change) if its id exists."""
        return self._put_listed("ALERT", alert.alert_id, alert, "")

    def list_alerts(self, *, subject_id: str | None = None) -> list[Alert]:
        """Alerts, oldest first, optionally for one subject."""
        if subject_id is None:
            items = self._query(BY_KIND, "ALERT", "")
        else:
            items = self._query(BY_ORDER, f"ORDER#{subject_id}", "ALERT#")
        return [_record(Alert, i) for i in items]

    def _put_listed(
        self,
        kind: str,
        ident: str,
        record: ApprovalRequest | OutboxMessage | Alert,
        sort: str,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Put an approval or a message with its keys in both indexes."""
        seq = _next_seq()
        by_order = {"gsi1pk": f"ORDER#{record.subject_id}", "gsi1sk": f"{kind}#{seq}"}
        by_kind = {"gsi2pk": kind, "gsi2sk": sort + seq}
        return self._put_new(
            _key(kind, ident)
            | {"seq": seq}
            | by_order
            | by_kind
            | stored(record)
            | (extra or {})
        )

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Put ``item`` unless its key exists; True if it was written."""
        put = self.client.put_item
        return self._conditional(put, Item=_to_item(item), ConditionExpression=_ABSENT)

    def _update(
        self,
        kind: str,
        ident: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> bool:
        """Update a kind's own item if ``condition`` holds; True if it did."""
        return self._conditional(
            self.client.update_item,
            Key=_to_item(_key(kind, ident)),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=_to_item(values),
            **({"ExpressionAttributeNames": names} if names else {}),
        )

    def _conditional(self, write: Callable[..., object], **kwargs: Any) -> bool:
        """Run a conditional write; False when its condition failed."""
        try:
            write(TableName=self.table_name, **kwargs)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _get(self, kind: str, ident: str) -> dict[str, Any] | None:
        """A kind's own item, read strongly consistent, as plain values."""
        key = _to_item(_key(kind, ident))
        got = self.client.get_item(
            TableName=self.table_name, Key=key, ConsistentRead=True
        )
        return _from_item(got["Item"]) if "Item" in got else None

    def _query(
        self, index: str | None, pk: str, prefix: str, since: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item in partition ``pk`` whose sort key starts with ``prefix``
        (and, with ``since``, sorts after it)."""
        g = _GSI[index] if index else ""
        # begins_with refuses an empty prefix, so leave it out for "everything".
        values = {":pk": pk} | ({":prefix": prefix} if prefix else {})
        condition = f"{g}pk = :pk" + f" AND begins_with({g}sk, :prefix)" * bool(prefix)
        if since is not None:  # "~" sorts after every digit and "-"
            values = {":pk": pk, ":since": since, ":until": prefix + "~"}
            condition = f"{g}pk = :pk AND {g}sk BETWEEN :since AND :until"
        args: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": _to_item(values),
        }
        args |= {"IndexName": index} if index else {"ConsistentRead": True}
        items: list[dict[str, Any]] = []
        while True:
            page = self.client.query(**args)
            items += [_from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _key(kind: str, ident: str) -> dict[str, str]:
    """The primary key of a kind's own item: ``KIND#id`` / ``KIND``."""
    return {"pk": f"{kind}#{ident}", "sk": kind}


def _next_seq() -> str:
    """A sortable, unique key: nanoseconds, strictly rising in this process."""
    global _last_ns
    with _seq_lock:
        _last_ns = max(time.time_ns(), _last_ns + 1)
        # The random tail keeps two processes' keys of one nanosecond apart.
        return f"{_last_ns:020d}-{secrets.token_hex(4)}"


def _to_item(values: dict[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """JSON-native values as DynamoDB attributes, floats as exact decimals."""
    plain = json.loads(json.dumps(values, allow_nan=False), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in plain.items()}


def _from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attributes as plain Python values."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    """Decimals back to int, or to float when they carry a fraction."""
    if isinstance(value, Decimal):
        return int(value) if int(value.as_tuple().exponent) >= 0 else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _record(cls: type[R], item: dict[str, Any]) -> R:
    """The dataclass ``cls`` from an item, leaving out keys and index attributes."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    read = {(READ_AS[k] if READ_AS.get(k) in names else k): v for k, v in item.items()}
    return cls(**{k: v for k, v in read.items() if k in names})
