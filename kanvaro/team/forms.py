"""Team forms (invitations, accepting one, member roles, custom roles) and the inputs of
the team actions they check."""

from __future__ import annotations

from typing import Any

from wtforms import (
    SelectField,
    SelectMultipleField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Length

from kanvaro.forms import (
    BaseForm,
    choices,
    email_field,
    new_password_field,
    no_control_chars,
    strip_text,
    text_field,
)
from kanvaro.inputs import input_of
from kanvaro.permissions import BY_CODE, PERMISSIONS, ROLES

NO_CUSTOM_ROLE = ("", "None")


def _no_newlines(form: Any, field: Any) -> None:
    if isinstance(field.data, str) and ("\n" in field.data or "\r" in field.data):
        raise ValidationError("Use a single line.")


def _role_field() -> Any:
    # Choices are checked in the action, so each refusal gets its own message (SPEC §3).
    return SelectField("Role", choices=choices(ROLES), default="team_member", validate_choice=False)


def _custom_role_field() -> Any:
    return SelectField("Custom role", choices=choices([NO_CUSTOM_ROLE]), default="", validate_choice=False)


class _WithCustomRole(BaseForm):
    custom_role: Any

    def set_custom_roles(self, roles: list[tuple[int, str]]) -> None:
        self.custom_role.choices = choices([NO_CUSTOM_ROLE, *((str(i), n) for i, n in roles)])


class InviteForm(_WithCustomRole):
    email = email_field("Enter the email address to invite.")
    role = _role_field()
    custom_role = _custom_role_field()


class MemberRoleForm(_WithCustomRole):
    role = _role_field()
    custom_role = _custom_role_field()


class AcceptForm(BaseForm):
    name = text_field("Your name", "Enter your name.", extra=(_no_newlines,))
    password = new_password_field()


class CustomRoleForm(BaseForm):
    name = text_field("Name", "Name the role.", max_length=100, extra=(_no_newlines,))
    description = TextAreaField(
        "Description", filters=[strip_text], validators=[Length(max=2000), no_control_chars]
    )
    permissions = SelectMultipleField(
        "Permissions", choices=choices((p, BY_CODE[p].name) for p in PERMISSIONS), validate_choice=False
    )


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(InviteForm, "POST /team/invitations")
class NewInvitation:
    email: str
    role: str
    custom_role: str


@input_of(MemberRoleForm, "POST /team/members/{id}/role")
class RoleChange:
    role: str
    custom_role: str


@input_of(AcceptForm, "POST /invitations/{token}")
class Acceptance:
    name: str
    password: str


@input_of(CustomRoleForm, "POST /team/roles and /team/roles/{id}")
class RoleDefinition:
    name: str
    description: str
    permissions: list[str]


def set_ids(form: BaseForm, prefix: str) -> BaseForm:
    """Unique element ids when one page holds several copies of a form; names stay the same."""
    for f in form:
        f.id = f"{prefix}-{f.name}"
        f.label.field_id = f.id
    return form
