"""Every table, imported so SQLModel.metadata knows them all."""

from kanvaro.models.accounts import CustomRole, LoginAttempt, Organization, User, UserSession
from kanvaro.models.records import AuditEntry, EmailOutbox, Invitation
from kanvaro.models.work import Project, ProjectMember, Story, Task

__all__ = [
    "AuditEntry",
    "CustomRole",
    "EmailOutbox",
    "Invitation",
    "LoginAttempt",
    "Organization",
    "Project",
    "ProjectMember",
    "Story",
    "Task",
    "User",
    "UserSession",
]
