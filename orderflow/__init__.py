"""orderflow: an order workflow on AWS Lambda durable functions.

The package is split by role:

- ``orderflow.domain``: the pure core (models, statuses, risk policy, routing).
  It imports neither boto3 nor the durable SDK.
- ``orderflow.ports``: the interfaces the workflow needs from the outside world.
- ``orderflow.adapters``: SQLite and DynamoDB stores, the sandbox providers,
  the Lambda callback client.
- ``orderflow.steps``: the bodies of the workflow's steps, one module per area.
- ``orderflow.saga``: fulfilment, compensation and reconciliation as durable steps.
- ``orderflow.local``: the Docker-free local stack.
"""
