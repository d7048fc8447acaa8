"""Registration, login and password forms, and the inputs of the actions they check."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from kanvaro.forms import (
    BaseForm,
    choices,
    email_field,
    lower,
    new_password_field,
    no_control_chars,
    text_field,
)
from kanvaro.handles import HANDLE_HELP, HANDLE_RE
from kanvaro.inputs import input_of


class RegisterForm(BaseForm):
    # DataRequired: a name of only spaces is no name (the filter trims it to "").
    organization_name = text_field("Organization name", "Enter your organization's name.",
                                   extra=(DataRequired("Enter your organization's name."),))
    name = text_field("Your name", "Enter your name.", extra=(DataRequired("Enter your name."),))
    email = email_field()
    password = new_password_field()


class LoginForm(BaseForm):
    email = StringField(
        "Email", filters=[lower],
        validators=[InputRequired("Enter your email address."), Length(max=320), no_control_chars],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password."), Length(max=1000)]
    )
    next = HiddenField()


class PasswordForm(BaseForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=1000)]
    )
    new_password = new_password_field("New password", "Choose a new password.")


THEMES = {"system": "As the device is set", "light": "Light", "dark": "Dark"}


class ThemeForm(BaseForm):
    theme = RadioField("Theme", choices=choices(THEMES), default="system",
                       validators=[InputRequired("Choose a theme.")])


class HandleForm(BaseForm):
    # Lower-cased first (SPEC §8): "Ana" is the handle "ana".
    handle = StringField("Handle", filters=[lower], validators=[
        InputRequired("Enter a handle."), Regexp(HANDLE_RE.pattern + r"\Z", message=HANDLE_HELP)])


# -- what the actions take (kanvaro.inputs) --------------------------------------------

@input_of(RegisterForm, "POST /register")
class Registration:
    organization_name: str
    name: str
    email: str
    password: str


@input_of(LoginForm, "POST /login (its `next` is the page's, not the action's)")
class Credentials:
    email: str
    password: str


@input_of(PasswordForm, "POST /account/password")
class PasswordChange:
    current_password: str
    new_password: str


@input_of(ThemeForm, "POST /account/theme")
class ThemeChoice:
    theme: str


@input_of(HandleForm, "POST /account/handle")
class HandleChoice:
    handle: str
