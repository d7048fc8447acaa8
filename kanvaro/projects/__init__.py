"""The projects area."""
