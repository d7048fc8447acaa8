"""Files attached to tasks, their content kept in the database (SPEC §8)."""
