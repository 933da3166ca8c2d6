"""Watching the workflow from outside: execution status changes, stuck approvals.

``functions/status_events`` is the thin handler; this package holds the parsing
(``events``), the reading of an execution's history (``history``), the alerts'
wording (``alerts``) and what happens to the read model (``service``).
"""
