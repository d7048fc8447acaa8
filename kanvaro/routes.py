"""The route table: every area's URLs, in one list (the generated suites walk it)."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.accounts.routes import ROUTES as ACCOUNTS
from kanvaro.activity.routes import ROUTES as ACTIVITY
from kanvaro.attachments.routes import ROUTES as ATTACHMENTS
from kanvaro.audit_log.routes import ROUTES as AUDIT_LOG
from kanvaro.calendar.routes import ROUTES as CALENDAR
from kanvaro.comments.routes import ROUTES as COMMENTS
from kanvaro.exports.routes import ROUTES as EXPORTS
from kanvaro.imports.routes import ROUTES as IMPORTS
from kanvaro.notifications.routes import ROUTES as NOTIFICATIONS
from kanvaro.projects.routes import ROUTES as PROJECTS
from kanvaro.stories.routes import ROUTES as STORIES
from kanvaro.tasks.routes import ROUTES as TASKS
from kanvaro.team.routes import ROUTES as TEAM
from kanvaro.tokens.routes import ROUTES as TOKENS
from kanvaro.webhooks.routes import ROUTES as WEBHOOKS
from kanvaro.writing.routes import ROUTES as WRITING

# Order matters only where two paths could match the same URL: /projects/new before
# /projects/{project_id:id} (an id is digits only, so they never overlap).
ROUTES: list[Route] = [*ACCOUNTS, *PROJECTS, *TASKS, *STORIES, *TEAM, *AUDIT_LOG, *COMMENTS,
                       *ATTACHMENTS, *NOTIFICATIONS, *ACTIVITY, *WRITING, *TOKENS, *CALENDAR,
                       *EXPORTS, *IMPORTS, *WEBHOOKS]
