"""Comments on tasks (SPEC §8)."""
