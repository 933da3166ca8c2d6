"""The sandbox carrier: books, cancels and tracks parcels, which move on over time.

A parcel goes LABEL_CREATED -> IN_TRANSIT -> DELIVERED, one stage per tracking
call and no sooner than ``stage_seconds`` after its previous stage (0: every
call moves it on, so the poll's back-off sets the pace). Each stage is a
tracking event in the shipping ledger, keyed ``<shipment key>:<stage>``, so
concurrent or repeated polls cannot move a parcel twice, and the state
survives from one Lambda sandbox to the next.

``shipping.delivery`` faults change the journey at IN_TRANSIT: ``delayed``
holds the parcel (HELD, then DELIVERED late), ``returned`` sends it back
(RETURNED, no longer live), ``stuck`` keeps it where it is.

A return label (``create_return_label``) is an inbound parcel that the same
``track`` follows: it stays LABEL_CREATED until the customer sends it, is
scanned IN_TRANSIT, and arrives (DELIVERED, at the warehouse) on the N-th due
tracking call, where N comes from ``ORDERFLOW_SANDBOX_RETURN_ARRIVES``
(``after:N``, default ``after:2``, or ``never``); on arrival it reports the
warehouse's inspection from ``ORDERFLOW_SANDBOX_RETURN_INSPECTION`` (``ok`` or
``damaged:<units>``) as ``Tracking.damaged_units``. Its events have their own
actions (``return_label``, ``return_in_transit``, ``return_arrived``,
``void_label``), so no return ever reads as an outbound shipment in the books.

Like a real carrier, it reports the parcel's transit time on its own clock: the
route's norm for the service (orderflow.processes.orders.outcomes), varied by up to
-20%/+25% per parcel, six times longer when the parcel was held. Its tracking
numbers carry the service, as many carriers' do: ``SBX-STANDARD-1a2b3c4d5e``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from orderflow.adapters.sandbox.book import Clock, SandboxBook
from orderflow.adapters.sandbox.faults import FaultInjector, FaultKind
from orderflow.adapters.sandbox.returns import ReturnParcels, damaged_in
from orderflow.domain.errors import ProviderTimeoutError, ShipmentNotFoundError
from orderflow.domain.records import Effect
from orderflow.domain.shipping import ShipmentStatus as S
from orderflow.domain.shipping import Tracking
from orderflow.ports import Store
from orderflow.processes.orders.outcomes import DEFAULT_TRANSIT

HELD_FACTOR = 6.0
_EVENTS = {"in_transit": S.IN_TRANSIT, "held": S.HELD, "delivered": S.DELIVERED}
_EVENTS |= {"returned": S.RETURNED, "cancel": S.CANCELLED}
_ACTIONS = {status: action for action, status in _EVENTS.items()}
_RETURN_EVENTS = {
    "return_in_transit": S.IN_TRANSIT,
    "return_arrived": S.DELIVERED,
    "void_label": S.CANCELLED,
}
_EVENTS |= _RETURN_EVENTS
LABEL = "return_label"
NORMAL_RETURNS = ReturnParcels()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SandboxShipping(SandboxBook):
    """``orderflow.ports.ShippingProvider`` on the store's ledger."""

    provider = "shipping"
    fault_actions = (
        "create",
        "cancel",
        "create_return_label",
        "void_return_label",
        "track",
        "delivery",  # the carrier's own progress: lost, returned, late
    )

    def __init__(
        self,
        store: Store,
        faults: FaultInjector,
        clock: Clock,
        stage_seconds: float,
        returns: ReturnParcels = NORMAL_RETURNS,
    ) -> None:
        super().__init__(store, faults, clock)
        self.stage_seconds = stage_seconds
        self.returns = returns

    def create(self, order_id: str, *, units: int, service: str, key: str) -> Effect:
        """Book a parcel of ``units`` at ``service`` speed (one live shipment)."""
        reference = f"SBX-{service.upper()}-{_digest(key)[:10]}"
        return self.must(
            "create",
            key,
            order_id,
            lambda _: self.effect(
                key, order_id, "create", quantity=1, reference=reference
            ),
        )

    def duplicate_of(self, effect: Effect) -> Effect:
        """A second parcel of the same service under a provider-made key."""
        key = f"{effect.idempotency_key}#dup"
        service = effect.reference.split("-")[1]
        reference = f"SBX-{service}-{_digest(key)[:10]}"
        return self.effect(
            key, effect.order_id, "create", quantity=1, reference=reference
        )

    def cancel(self, order_id: str, shipment_key: str, *, key: str) -> Effect | None:
        """Cancel (or recall) the parcel unless it already reached its end."""

        def make(effects: list[Effect]) -> Effect | None:
            created = _created(effects, shipment_key)
            if created is None or _status(effects, created.reference).is_final:
                return None
            return self.effect(
                key, order_id, "cancel", quantity=-1, reference=created.reference
            )

        return self.call("cancel", key, order_id, make)

    def create_return_label(self, order_id: str, *, units: int, key: str) -> Effect:
        """Issue a prepaid label for ``units`` coming back (an inbound parcel)."""
        reference = f"SBX-RETURN-{_digest(key)[:10]}"
        return self.must(
            "create_return_label",
            key,
            order_id,
            lambda _: self.effect(
                key, order_id, LABEL, quantity=units, reference=reference
            ),
        )

    def void_return_label(
        self, order_id: str, label_key: str, *, key: str
    ) -> Effect | None:
        """Void the label unless its parcel is on its way; None if not voidable."""

        def make(effects: list[Effect]) -> Effect | None:
            label = _created(effects, label_key)
            if label is None or label.action != LABEL:
                return None
            if _status(effects, label.reference) is not S.LABEL_CREATED:
                return None
            return self.effect(key, order_id, "void_label", reference=label.reference)

        return self.call("void_return_label", key, order_id, make)

    def track(self, order_id: str, shipment_key: str) -> Tracking:
        """Where the parcel is; moves it on a stage when its time has come."""
        effects = self.ledger(order_id)
        created = _created(effects, shipment_key)
        if created is None:
            raise ShipmentNotFoundError(f"no shipment under key {shipment_key!r}")
        status = _status(effects, created.reference)
        if not status.is_final:
            fired = {f.kind for f in self._faults.fire("shipping.track", shipment_key)}
            last = max(
                (e for e in effects if e.reference == created.reference),
                key=lambda e: e.created_at,
            )
            waited = self._clock() - datetime.fromisoformat(last.created_at)
            if waited.total_seconds() >= self.stage_seconds:
                event = (
                    self._return_event(effects, created)
                    if created.action == LABEL
                    else self._outbound_event(status, created)
                )
                if event is not None:
                    self._store.record_effect(event)
                    effects = self.ledger(order_id)
                    status = _status(effects, created.reference)
            if FaultKind.TIMEOUT in fired:
                raise ProviderTimeoutError("sandbox shipping.track timed out")
        service = created.reference.split("-")[1].lower()
        return Tracking(
            shipment_key=shipment_key,
            reference=created.reference,
            status=status,
            service=service,
            transit_hours=(
                self._transit_hours(effects, created.reference, service)
                if status is S.DELIVERED
                else None
            ),
            damaged_units=_damaged(effects, created) if status is S.DELIVERED else None,
        )

    def _outbound_event(self, status: S, created: Effect) -> Effect | None:
        """The next stage of an outbound parcel, as its keyed tracking event."""
        following = self._next(status, created.order_id)
        if following is None:
            return None
        return self.effect(
            f"{created.idempotency_key}:{_ACTIONS[following]}",
            created.order_id,
            _ACTIONS[following],
            quantity=-1 if following is S.RETURNED else 0,
            reference=created.reference,
        )

    def _return_event(self, effects: list[Effect], label: Effect) -> Effect | None:
        """The next scan of a return parcel: in transit, then arrived and inspected."""
        scan = self.returns.next_scan(effects, label)
        if scan is None:
            return None
        action, damaged = scan
        scans = sum(1 for e in effects if e.reference == label.reference)
        return self.effect(
            f"{label.idempotency_key}:scan-{scans}",
            label.order_id,
            action,
            quantity=damaged,
            reference=label.reference,
        )

    def _next(self, status: S, order_id: str) -> S | None:
        """The stage after ``status``; delivery faults are counted per order."""
        if status is S.LABEL_CREATED:
            return S.IN_TRANSIT
        if status is S.HELD:
            return S.DELIVERED
        fired = {f.kind for f in self._faults.fire("shipping.delivery", order_id)}
        if FaultKind.RETURNED in fired:
            return S.RETURNED
        if FaultKind.DELAYED in fired:
            return S.HELD
        return None if FaultKind.STUCK in fired else S.DELIVERED

    def _transit_hours(
        self, effects: list[Effect], reference: str, service: str
    ) -> float:
        """The carrier-clock transit time: the norm, varied per parcel, and holds."""
        norm = DEFAULT_TRANSIT.get(service, DEFAULT_TRANSIT["standard"])
        spread = 0.8 + 0.45 * int(_digest(reference)[:8], 16) / 0xFFFFFFFF
        held = any(e.reference == reference and e.action == "held" for e in effects)
        return round(norm.median_hours * spread * (HELD_FACTOR if held else 1), 1)


def _created(effects: list[Effect], shipment_key: str) -> Effect | None:
    """The parcel booked under ``shipment_key``: outbound, or a return label."""
    return next(
        (
            e
            for e in effects
            if e.idempotency_key == shipment_key and e.action in ("create", LABEL)
        ),
        None,
    )


def _damaged(effects: list[Effect], created: Effect) -> int | None:
    """Units the warehouse found damaged in an arrived return; None if outbound."""
    return damaged_in(effects, created) if created.action == LABEL else None


def _status(effects: list[Effect], reference: str) -> S:
    """The parcel's status: its last event, LABEL_CREATED if none."""
    status = S.LABEL_CREATED
    for e in effects:
        if e.reference == reference and e.action in _EVENTS:
            status = _EVENTS[e.action]
    return status
