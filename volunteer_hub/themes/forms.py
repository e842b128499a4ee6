from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from volunteer_hub.core.timefields import LocalDateTimeField


class ThemeForm(FlaskForm):
    title = StringField(_l("Theme"), validators=[Length(max=100), DataRequired()],
                        description=_l("e.g. Civil Persuasion Day, Clean-up Day, Volunteer Day"))
    held_on = DateField(_l("Day"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), Optional()])
    guidance = TextAreaField(_l("Guidance for stations"), validators=[Length(max=2000), Optional()],
                             description=_l("What stations should do on the day."))
    places = StringField(_l("Suggested places"), validators=[Length(max=500), Optional()])
    publish_at = LocalDateTimeField(_l("Publish at (optional)"), validators=[Optional()],
                                    description=_l("Defaults to 09:00 the day before."))
    poster = FileField(_l("Poster (PNG or JPEG, at most 2 MB)"), validators=[Optional()])


class NoteForm(FlaskForm):
    node_id = HiddenField()
    note = TextAreaField(_l("Local note for your station"), validators=[Length(max=1000), Optional()],
                         description=_l("Where to meet, who leads, what to bring. The theme's title stays unified."))


class CopyForm(FlaskForm):
    node_id = HiddenField(validators=[DataRequired()])
    start = HiddenField(validators=[DataRequired()])
