"""The route table: every URL of SPEC §4."""

from __future__ import annotations

from starlette.routing import Route

from kanvaro.web import audit, auth, projects, tasks, team

ROUTES = [
    Route("/", auth.home),
    Route("/register", auth.register_page, methods=["GET"]),
    Route("/register", auth.register, methods=["POST"]),
    Route("/login", auth.login_page, methods=["GET"]),
    Route("/login", auth.login, methods=["POST"]),
    Route("/logout", auth.logout, methods=["POST"]),
    Route("/account", auth.account_page, methods=["GET"]),
    Route("/account/password", auth.password_change, methods=["POST"]),
    Route("/projects", projects.project_list, methods=["GET"]),
    Route("/projects", projects.project_create, methods=["POST"]),
    Route("/projects/new", projects.project_new, methods=["GET"]),
    Route("/projects/{project_id:int}", projects.project_detail, methods=["GET"]),
    Route("/projects/{project_id:int}", projects.project_update, methods=["POST"]),
    Route("/projects/{project_id:int}/edit", projects.project_edit, methods=["GET"]),
    Route("/projects/{project_id:int}/delete", projects.project_delete, methods=["POST"]),
    Route("/projects/{project_id:int}/board", tasks.board, methods=["GET"]),
    Route("/projects/{project_id:int}/tasks", tasks.task_create, methods=["POST"]),
    Route("/projects/{project_id:int}/stories", tasks.story_create, methods=["POST"]),
    Route("/tasks/{task_id:int}", tasks.task_detail, methods=["GET"]),
    Route("/tasks/{task_id:int}", tasks.task_update, methods=["POST"]),
    Route("/tasks/{task_id:int}/edit", tasks.task_edit, methods=["GET"]),
    Route("/tasks/{task_id:int}/status", tasks.task_status, methods=["POST"]),
    Route("/tasks/{task_id:int}/delete", tasks.task_delete, methods=["POST"]),
    Route("/stories/{story_id:int}", tasks.story_detail, methods=["GET"]),
    Route("/stories/{story_id:int}", tasks.story_update, methods=["POST"]),
    Route("/stories/{story_id:int}/edit", tasks.story_edit, methods=["GET"]),
    Route("/stories/{story_id:int}/delete", tasks.story_delete, methods=["POST"]),
    Route("/team", team.team, methods=["GET"]),
    Route("/team/invitations", team.invitation_create, methods=["POST"]),
    Route("/team/invitations/{invitation_id:int}/revoke", team.invitation_revoke, methods=["POST"]),
    Route("/invitations/{token:str}", team.invitation_page, methods=["GET"]),
    Route("/invitations/{token:str}", team.invitation_accept, methods=["POST"]),
    Route("/team/members/{user_id:int}/role", team.member_role, methods=["POST"]),
    Route("/team/members/{user_id:int}/deactivate", team.member_deactivate, methods=["POST"]),
    Route("/team/roles", team.role_create, methods=["POST"]),
    Route("/team/roles/{role_id:int}", team.role_update, methods=["POST"]),
    Route("/team/roles/{role_id:int}/delete", team.role_delete, methods=["POST"]),
    Route("/audit", audit.audit_log, methods=["GET"]),
]
