"""The stories area."""
