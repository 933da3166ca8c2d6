"""The expense claim: the smallest process, a blueprint to copy.

An employee's claim is recorded, one manager approves or rejects it, and the
claim is closed. It uses the parts (approvals, the read model) and adds nothing
to them: docs/adding-a-process.md walks through this folder as the example.
"""
