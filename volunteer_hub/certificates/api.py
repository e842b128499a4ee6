"""JSON API of 志愿服务记录证明."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.certificates import services
from volunteer_hub.certificates.schemas import CertificateOut, IssueIn, RevokeIn, VerifiedOut
from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.people.services import get_user

blp = Blueprint("certificates_api", __name__, url_prefix="/api/v1", description="志愿服务记录证明")


@blp.route("/me/certificates", methods=["GET"])
@auth_required
@blp.response(200, CertificateOut(many=True))
def mine():
    """The certificates issued to me, newest first."""
    return services.certificates_of(current_user)


@blp.route("/certificates")
class Certificates(MethodView):
    decorators = [auth_required]

    @blp.arguments(IssueIn)
    @blp.response(201, CertificateOut)
    def post(self, data):
        """出具: a snapshot of the volunteer's approved service now (the volunteer, or a manager of their station)."""
        return services.issue(current_user, get_user(data["user_id"]))


@blp.route("/certificates/<int:certificate_id>", methods=["GET"])
@auth_required
@blp.response(200, CertificateOut)
def show(certificate_id):
    return services.get_certificate_for(current_user, certificate_id)


@blp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@auth_required
@blp.arguments(RevokeIn)
@blp.response(200, CertificateOut)
def revoke(data, certificate_id):
    """撤销 (managers of the issuing node), with a reason."""
    return services.revoke(current_user, services.get_certificate_for(current_user, certificate_id), data["reason"])


@blp.route("/certificates/verify/<token>", methods=["GET"])
@blp.doc(security=[])
@blp.response(200, VerifiedOut)
def verify(token):
    """Public: what a certificate said when issued, and whether it has been revoked."""
    return services.by_token(token)
