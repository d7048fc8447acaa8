"""The stored values of SPEC §2's enumerations, with their labels."""

from __future__ import annotations

TASK_STATUSES: dict[str, str] = {
    "todo": "To Do",
    "in-progress": "In Progress",
    "review": "Review",
    "testing": "Testing",
    "completed": "Completed",
}
PRIORITIES: dict[str, str] = {
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "Critical",
}
PROJECT_STATUSES: dict[str, str] = {
    "planning": "Planning",
    "active": "Active",
    "on_hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
STORY_STATUSES: dict[str, str] = {
    "todo": "To Do",
    "in-progress": "In Progress",
    "completed": "Completed",
}
