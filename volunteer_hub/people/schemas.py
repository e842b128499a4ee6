import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.core.validators import mask_phone


class TokenIn(ma.Schema):
    phone = Text(20, required=True)
    password = Text(128, required=True, load_only=True)


class PasswordChangeIn(ma.Schema):
    current_password = Text(128, required=True, load_only=True)
    new_password = Text(128, required=True, load_only=True)


class GrantOut(ma.Schema):
    role = ma.fields.String()
    node_id = ma.fields.Integer(allow_none=True)
    merchant_id = ma.fields.Integer(allow_none=True)


class ProfileOut(ma.Schema):
    home_station_id = ma.fields.Integer()
    id_number = ma.fields.String(attribute="id_number_masked", allow_none=True,
                                 metadata={"description": "masked: 3201**********1234"})
    skills = ma.fields.List(ma.fields.String())


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.Function(lambda user: mask_phone(user.phone), metadata={"description": "masked"})
    roles = ma.fields.List(ma.fields.Nested(GrantOut), attribute="grants")
    volunteer = ma.fields.Nested(ProfileOut, attribute="profile", allow_none=True)


class TokenOut(ma.Schema):
    token = ma.fields.String()
    expires_at = ma.fields.DateTime()
    user = ma.fields.Nested(UserOut)


class PhoneCodeIn(ma.Schema):
    phone = Text(20, required=True)
    purpose = ma.fields.String(required=True, validate=ma.validate.OneOf(["register", "reset"]))


class PhoneCodeOut(ma.Schema):
    message = ma.fields.String()


class PasswordResetIn(ma.Schema):
    phone = Text(20, required=True)
    code = Text(32, required=True)
    password = Text(128, required=True, load_only=True)


class VolunteerIn(ma.Schema):
    name = Text(50, required=True)
    phone = Text(20, required=True)
    code = Text(32, required=True, load_only=True, metadata={"description": "from POST /auth/phone-codes"})
    password = Text(128, required=True, load_only=True)
    home_station_id = ma.fields.Integer(strict=True, required=True)
    id_number = Text(32, load_default=None, allow_none=True)
    skills = ma.fields.List(Text(50), load_default=list, validate=ma.validate.Length(max=20))


class ProfilePatch(ma.Schema):
    name = Text(50)
    skills = ma.fields.List(Text(50), validate=ma.validate.Length(max=20))
    id_number = Text(32)
    home_station_id = ma.fields.Integer(strict=True)


class ManagerIn(ma.Schema):
    user_id = ma.fields.Integer(strict=True, required=True)


class ManagerOut(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    node_id = ma.fields.Integer()
