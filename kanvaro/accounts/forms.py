"""Registration and login forms."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from kanvaro.forms import (
    BaseForm,
    email_field,
    lower,
    new_password_field,
    no_control_chars,
    text_field,
)


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
