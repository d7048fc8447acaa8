"""The team area."""
