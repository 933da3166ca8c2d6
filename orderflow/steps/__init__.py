"""The bodies of the workflow's steps, one module per business area.

Each function takes its dependencies (``Deps``) explicitly and returns JSON-native
data, so the durable SDK checkpoints it as it is. The orchestrator
(functions/order_workflow/app.py) decides what runs when; these decide nothing.
"""
