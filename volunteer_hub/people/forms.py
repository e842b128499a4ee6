from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional


class LoginForm(FlaskForm):
    phone = StringField(_l("Mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel", "autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[Length(max=128), DataRequired()],
                             render_kw={"autocomplete": "current-password"})


class PhoneCodeForm(FlaskForm):
    phone = StringField(_l("Mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    purpose = HiddenField(validators=[AnyOf(["register", "reset"])])


CODE = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}


class SignupForm(FlaskForm):
    name = StringField(_l("Real name"), validators=[Length(max=50), DataRequired()], render_kw={"autocomplete": "name"})
    phone = StringField(_l("Mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    code = StringField(_l("Code from the text message"), validators=[Length(max=32), Optional()], render_kw=CODE)
    password = PasswordField(_l("Password"), validators=[Length(max=128), DataRequired()],
                             description=_l("At least 8 characters, letters and digits."),
                             render_kw={"autocomplete": "new-password"})
    home_station_id = SelectField(_l("Home station"), coerce=int, validators=[DataRequired()])
    id_number = StringField(_l("ID card number (optional)"), validators=[Length(max=32), Optional()],
                            description=_l("Stored encrypted; only ever shown masked."))
    skills = StringField(_l("Skills (optional)"), validators=[Length(max=500), Optional()],
                         description=_l("Separate with commas."))


class PasswordResetForm(FlaskForm):
    phone = StringField(_l("Mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel", "autocomplete": "username"})
    code = StringField(_l("Code from the text message"), validators=[Length(max=32), DataRequired()], render_kw=CODE)
    password = PasswordField(_l("New password"), validators=[Length(max=128), DataRequired()],
                             description=_l("At least 8 characters, letters and digits."),
                             render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[Length(max=128), DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[Length(max=128), DataRequired()],
                                 description=_l("At least 8 characters, letters and digits."),
                                 render_kw={"autocomplete": "new-password"})


class ResetLinkForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[Length(max=128), DataRequired()],
                             description=_l("At least 8 characters, letters and digits."),
                             render_kw={"autocomplete": "new-password"})


class ProfileForm(FlaskForm):
    name = StringField(_l("Real name"), validators=[Length(max=50), DataRequired()])
    home_station_id = SelectField(_l("Home station"), coerce=int)
    id_number = StringField(_l("ID card number"), validators=[Length(max=32), Optional()],
                            description=_l("Leave empty to keep the number on file."))
    skills = StringField(_l("Skills"), validators=[Length(max=500), Optional()],
                         description=_l("Separate with commas."))


def split_skills(text: str | None) -> list[str]:
    return [s for s in (text or "").replace("，", ",").split(",") if s.strip()]
