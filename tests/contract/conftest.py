"""The contract suites share one ``store`` fixture: every adapter, empty."""

from tests.contract.test_store_contract import store

__all__ = ["store"]
