"""The pure domain core: no boto3, no durable SDK, no I/O."""
