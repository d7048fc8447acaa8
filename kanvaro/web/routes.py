"""The route table: every URL of SPEC §4."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from kanvaro.web import audit, auth, projects, tasks, team
from kanvaro.web.base import MAX_ID


class IdConvertor(Convertor[int]):
    """`{x:id}`: any digit string. One too long to be an id becomes MAX_ID + 1, which the view
    answers with 404 before anything else: `int()` of 4,301 digits or more raises (Python's
    int-string limit), and Starlette's `int` convertor would turn that into a 500."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        digits = value.lstrip("0") or "0"
        return int(digits) if len(digits) <= 19 else MAX_ID + 1

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())

ROUTES = [
    Route("/", auth.home),
    Route("/register", auth.register_page, methods=["GET"]),
    Route("/register", auth.register, methods=["POST"]),
    Route("/login", auth.login_page, methods=["GET"]),
    Route("/login", auth.login, methods=["POST"]),
    Route("/logout", auth.logout, methods=["POST"]),
    Route("/account", auth.account_page, methods=["GET"]),
    Route("/account/password", auth.password_change, methods=["POST"]),
    Route("/account/sessions/end-others", auth.end_other_sessions, methods=["POST"]),
    Route("/projects", projects.project_list, methods=["GET"]),
    Route("/projects", projects.project_create, methods=["POST"]),
    Route("/projects/new", projects.project_new, methods=["GET"]),
    Route("/projects/{project_id:id}", projects.project_detail, methods=["GET"]),
    Route("/projects/{project_id:id}", projects.project_update, methods=["POST"]),
    Route("/projects/{project_id:id}/edit", projects.project_edit, methods=["GET"]),
    Route("/projects/{project_id:id}/delete", projects.project_delete, methods=["POST"]),
    Route("/projects/{project_id:id}/board", tasks.board, methods=["GET"]),
    Route("/projects/{project_id:id}/tasks", tasks.task_create, methods=["POST"]),
    Route("/projects/{project_id:id}/stories", tasks.story_create, methods=["POST"]),
    Route("/tasks/{task_id:id}", tasks.task_detail, methods=["GET"]),
    Route("/tasks/{task_id:id}", tasks.task_update, methods=["POST"]),
    Route("/tasks/{task_id:id}/edit", tasks.task_edit, methods=["GET"]),
    Route("/tasks/{task_id:id}/status", tasks.task_status, methods=["POST"]),
    Route("/tasks/{task_id:id}/delete", tasks.task_delete, methods=["POST"]),
    Route("/stories/{story_id:id}", tasks.story_detail, methods=["GET"]),
    Route("/stories/{story_id:id}", tasks.story_update, methods=["POST"]),
    Route("/stories/{story_id:id}/edit", tasks.story_edit, methods=["GET"]),
    Route("/stories/{story_id:id}/delete", tasks.story_delete, methods=["POST"]),
    Route("/team", team.team, methods=["GET"]),
    Route("/team/invitations", team.invitation_create, methods=["POST"]),
    Route("/team/invitations/{invitation_id:id}/revoke", team.invitation_revoke, methods=["POST"]),
    Route("/invitations/{token:str}", team.invitation_page, methods=["GET"]),
    Route("/invitations/{token:str}", team.invitation_accept, methods=["POST"]),
    Route("/team/members/{user_id:id}/role", team.member_role, methods=["POST"]),
    Route("/team/members/{user_id:id}/deactivate", team.member_deactivate, methods=["POST"]),
    Route("/team/roles", team.role_create, methods=["POST"]),
    Route("/team/roles/{role_id:id}", team.role_update, methods=["POST"]),
    Route("/team/roles/{role_id:id}/delete", team.role_delete, methods=["POST"]),
    Route("/audit", audit.audit_log, methods=["GET"]),
]
