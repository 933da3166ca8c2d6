"""Approvals: stages, escalation, single-use links, the desk and the page."""
