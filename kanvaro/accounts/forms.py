"""Registration and login forms."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from kanvaro.forms import BaseForm, lower, no_control_chars, strip_text, valid_email


class RegisterForm(BaseForm):
    organization_name = StringField(
        "Organization name",
        filters=[strip_text],
        validators=[DataRequired("Enter your organization's name."), Length(max=200), no_control_chars],
    )
    name = StringField(
        "Your name",
        filters=[strip_text],
        validators=[DataRequired("Enter your name."), Length(max=200), no_control_chars],
    )
    email = StringField(
        "Email",
        filters=[lower],
        validators=[InputRequired("Enter your email address."), Length(max=320), valid_email],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Choose a password."),
            Length(min=10, max=1000, message="Use at least 10 characters."),
        ],
    )


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
    new_password = PasswordField(
        "New password",
        validators=[
            InputRequired("Choose a new password."),
            Length(min=10, max=1000, message="Use at least 10 characters."),
        ],
    )
