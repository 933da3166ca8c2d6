"""orderflow: business processes on AWS Lambda durable functions.

The package is split into parts and processes (docs/design.md draws them):

- ``orderflow.processes.<kind>``: one folder per business process (orders): its
  model, rules, steps, operation names, statuses and wording. Each is one entry
  in ``orderflow.registry``.
- ``orderflow.parts``: process-agnostic building blocks that know subjects,
  statuses and steps, never orders: approvals (stages, escalation, links, the
  desk, the page), the saga, the read model, the retry strategies.
- ``orderflow.domain``: the shared records the store keeps, provider errors and
  tracking; pure, no boto3, no durable SDK.
- ``orderflow.ports`` and ``orderflow.adapters``: the store, the notifier, the
  sandbox providers and the Lambda clients, behind their interfaces.
- ``orderflow.monitoring`` and ``orderflow.local``: status events and alerts;
  the Docker-free local stack.
"""
