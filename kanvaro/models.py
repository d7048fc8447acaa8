"""Every table, imported so that SQLModel.metadata (Alembic, the test schema) knows them all.

Each table lives with its area; this registry only gathers them (and lets a test or a script
import any of them from one place).
"""

from kanvaro.accounts.models import LoginAttempt, Organization, User, UserSession
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.comments.models import Comment
from kanvaro.imports.models import ImportFingerprint, ImportJob
from kanvaro.notifications.models import Notification, TaskWatcher
from kanvaro.projects.models import Project, ProjectMember
from kanvaro.records import AuditEntry, EmailOutbox, OrgRevision
from kanvaro.stories.models import Story
from kanvaro.tasks.models import Task, TaskAssignee
from kanvaro.team.models import CustomRole, Invitation
from kanvaro.tokens.models import ApiToken, ApiTokenUse
from kanvaro.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "ApiToken",
    "ApiTokenUse",
    "Attachment",
    "AuditEntry",
    "Blob",
    "CalendarFeedToken",
    "Comment",
    "CustomRole",
    "EmailOutbox",
    "ImportFingerprint",
    "ImportJob",
    "Invitation",
    "LoginAttempt",
    "Notification",
    "OrgRevision",
    "Organization",
    "Project",
    "ProjectMember",
    "Story",
    "Task",
    "TaskAssignee",
    "TaskWatcher",
    "User",
    "UserSession",
    "Webhook",
    "WebhookDelivery",
]
