"""Returns and refunds: one durable execution per return, named after its id."""
