"""Watching tasks, notifications and their mail digests (SPEC §8)."""
