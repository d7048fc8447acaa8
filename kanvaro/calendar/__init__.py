"""Calendar feeds (SPEC §13): a person's due dates, and a project's, behind a secret link."""
