"""The audit log area."""
