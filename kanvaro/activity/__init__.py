"""A task's timeline and a project's activity (SPEC §8)."""
