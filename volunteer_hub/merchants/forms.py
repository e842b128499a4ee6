from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional


class ApplyForm(FlaskForm):
    name = StringField(_l("Merchant name"), validators=[Length(max=100), DataRequired()])
    address = StringField(_l("Address"), validators=[Length(max=200), Optional()])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=20), DataRequired()],
                                render_kw={"inputmode": "tel"})
    licence_no = StringField(_l("Licence number (unified social credit code)"),
                             validators=[Length(max=32), DataRequired()])
    centre_id = SelectField(_l("Practice centre"), coerce=int)


class PairingForm(FlaskForm):
    station_ids = SelectMultipleField(_l("Paired stations"), coerce=int, validators=[DataRequired()])


class StaffForm(FlaskForm):
    phone = StringField(_l("Mobile phone"), validators=[Length(max=20), DataRequired()], render_kw={"inputmode": "tel"},
                        description=_l("The holder of this phone accepts or declines the invitation in their inbox; "
                                       "without an account they are told by text message to register first."))


class SuspendForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=200), DataRequired()],
                         description=_l("Kept in the audit trail."))


class OfferForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=100), DataRequired()])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), Optional()])
    price = DecimalField(_l("Price in credits"), places=1, validators=[DataRequired()])
    stock = IntegerField(_l("Stock (empty: unlimited)"), validators=[Optional()])
    monthly_limit = IntegerField(_l("Per volunteer per month (empty: no limit)"), validators=[Optional()])


class OfferEditForm(OfferForm):
    active = BooleanField(_l("On offer"), description=_l("Untick to withdraw it; vouchers already taken stay good."))
