"""Webhooks (SPEC §13): an organization's hooks, their delivery outbox, and the sender."""
