import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.teams.models import OTHER, STANDARD_CATEGORIES

CATEGORIES = [*STANDARD_CATEGORIES, OTHER]


class TeamIn(ma.Schema):
    name = Text(100, required=True)
    category = Text(32, required=True, metadata={"enum": CATEGORIES})
    custom_category = Text(200, load_default=None, allow_none=True,
                                       metadata={"description": "the local 'N' category, for category 'other'"})
    node_id = ma.fields.Integer(strict=True, required=True)
    leader_id = ma.fields.Integer(strict=True, required=True)
    description = Text(2000, load_default="")


class TeamPatch(ma.Schema):
    """Only the fields given change; category and leader by the node's managers."""

    name = Text(100)
    description = Text(2000)
    category = Text(32, metadata={"enum": CATEGORIES})
    custom_category = Text(200, allow_none=True)
    leader_id = ma.fields.Integer(strict=True, metadata={"description": "an active member of the team"})


class TeamOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.String()
    node_id = ma.fields.Integer()
    leader_id = ma.fields.Integer()
    description = ma.fields.String()


class TeamQuery(ma.Schema):
    node_id = ma.fields.Integer()
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    q = Text(100, metadata={"description": "part of the team name"})


class MemberIn(ma.Schema):
    user_id = ma.fields.Integer(strict=True, required=True)


class MembershipOut(ma.Schema):
    team_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    name = ma.fields.String(attribute="user.name")
    status = ma.fields.String()
    updated_at = ma.fields.DateTime()
