"""The order process: validate, route by risk, approve, fulfil, reconcile."""
