"""The domain's exceptions, one small hierarchy per area."""

from __future__ import annotations


class OrderflowError(Exception):
    """Base class of every error orderflow raises on purpose."""


class InvalidInputError(OrderflowError):
    """A request does not satisfy its schema; ``fields`` names each problem."""

    what = "input"

    def __init__(self, fields: list[FieldProblem]) -> None:
        self.fields = fields
        super().__init__(
            "; ".join(f"{p.field}: {p.message}" for p in fields)
            or f"invalid {self.what}"
        )


class InvalidOrderError(InvalidInputError):
    """The order does not satisfy the schema; ``fields`` names each problem."""

    what = "order"


class FieldProblem:
    """One failing field of a request, as a dotted path and a message."""

    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        """JSON form, as returned in a 400 body."""
        return {"field": self.field, "message": self.message}


class ProviderError(OrderflowError):
    """A fulfilment provider refused or failed a call."""


class TransientProviderError(ProviderError):
    """Worth retrying: a time-out, throttling or a 5xx from the provider."""


class TerminalProviderError(ProviderError):
    """Not worth retrying: card declined, out of stock, undeliverable."""


class OrderConflictError(OrderflowError):
    """The order id is already taken by a different order body."""


# The named provider errors. Adapters raise these and nothing vaguer: the retry
# strategies (orderflow/parts/durable.py) retry the three transient ones by name, and
# every terminal one fails its step at once.


class ProviderTimeoutError(TransientProviderError):
    """No answer in time: the provider may have acted; the key settles it."""


class ProviderThrottledError(TransientProviderError):
    """Too many requests (HTTP 429): the provider did nothing; try again later."""


class ProviderUnavailableError(TransientProviderError):
    """A 5xx or a refused connection: the provider did nothing; try again later."""


class OutOfStockError(TerminalProviderError):
    """Inventory cannot hold the units asked for."""


class CardDeclinedError(TerminalProviderError):
    """The payment provider refused the card."""


class AddressUndeliverableError(TerminalProviderError):
    """The carrier cannot deliver to the address."""


class ShipmentNotFoundError(TerminalProviderError):
    """The carrier knows no shipment under that key."""


TRANSIENT_PROVIDER_ERRORS: tuple[type[TransientProviderError], ...] = (
    ProviderTimeoutError,
    ProviderThrottledError,
    ProviderUnavailableError,
)
