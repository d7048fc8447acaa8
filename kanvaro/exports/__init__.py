"""The CSV export of a project's tasks (issue 13, item 7)."""
