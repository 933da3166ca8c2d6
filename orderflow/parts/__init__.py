"""Process-agnostic parts: they know subjects, statuses and steps, never orders."""
