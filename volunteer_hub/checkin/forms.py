import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from volunteer_hub.checkin.schemas import NONCE
from volunteer_hub.core.timefields import LocalDateTimeField


class ScanForm(FlaskForm):
    """Filled by static/checkin.js with the browser's location, where the event checks it."""

    lat = FloatField(validators=[Optional()], widget=HiddenField.widget)
    lon = FloatField(validators=[Optional()], widget=HiddenField.widget)
    # The page's name for this scan: the same form posted twice (a double tap, a resent form) counts once.
    nonce = HiddenField(default=lambda: secrets.token_urlsafe(16),
                        validators=[Optional(), Regexp(NONCE)])


class ManualForm(FlaskForm):
    phone = StringField(_l("Volunteer's mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel"})
    checked_in_at = LocalDateTimeField(_l("Checked in at"), validators=[DataRequired()])
    checked_out_at = LocalDateTimeField(_l("Checked out at (optional)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Length(max=200), DataRequired()],
                         description=_l("Kept in the audit trail."))


class RatingForm(FlaskForm):
    stars = RadioField(_l("Your rating"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)],
                       validators=[DataRequired(_l("Give 1 to 5 stars."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)],
                            description=_l("The organisers see comments without your name."))


class CodeForm(FlaskForm):
    """What a camera would have read, typed or pasted instead (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    code = StringField(_l("Or paste the check-in link"), validators=[DataRequired(), Length(max=500)],
                       description=_l("The link under the QR code, as shared in the group."))
