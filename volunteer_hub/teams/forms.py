from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from volunteer_hub.teams.models import OTHER, STANDARD_CATEGORIES


def category_choices():
    return [(key, label) for key, label in STANDARD_CATEGORIES.items()] + [(OTHER, _l("Other (local N category)"))]


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[Length(max=100), DataRequired()])
    category = SelectField(_l("Category"), choices=category_choices)
    custom_category = StringField(_l("Local category name"), validators=[Length(max=32), Optional()],
                                  description=_l("Only for the 'other' category."))
    node_id = SelectField(_l("Node"), coerce=int)
    leader_phone = StringField(_l("Leader's mobile phone"), validators=[Length(max=20), DataRequired()],
                               render_kw={"inputmode": "tel"})
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), Optional()])


class TeamEditForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[Length(max=100), DataRequired()])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), Optional()])
    category = SelectField(_l("Category"), choices=category_choices)
    custom_category = StringField(_l("Local category name"), validators=[Length(max=32), Optional()],
                                  description=_l("Only for the 'other' category."))
    leader_id = SelectField(_l("Leader"), coerce=int, description=_l("An active member of the team."))


class InviteForm(FlaskForm):
    phone = StringField(_l("Volunteer's mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel"})
