"""Pick the store adapter from a URL, so handlers stay unaware of which one runs."""

from __future__ import annotations

from orderflow.ports import Store


def store_from_url(url: str) -> Store:
    """``sqlite:PATH`` / ``sqlite:///ABS`` -> SqliteStore; ``dynamodb://TABLE``."""
    if url.startswith("sqlite:"):
        from orderflow.adapters.sqlite_store import SqliteStore

        path = url.removeprefix("sqlite:")
        if path.startswith("//"):
            path = path[2:]
        return SqliteStore(path)
    if url.startswith("dynamodb://"):
        from orderflow.adapters.dynamodb_store import DynamoDbStore

        return DynamoDbStore(url.removeprefix("dynamodb://"))
    raise ValueError(
        f"ORDERFLOW_STORE must start with sqlite: or dynamodb://, got {url!r}"
    )
