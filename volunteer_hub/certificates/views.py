"""Pages: my certificates, one certificate (print or PDF), revoking, the public check, the centre's seal."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.certificates import services
from volunteer_hub.core import qr
from volunteer_hub.core.forms import ActionForm, attempt, press
from volunteer_hub.core.permissions import manages, require_centre_admin
from volunteer_hub.nodes.services import get_node

bp = Blueprint("certificates", __name__)


@bp.route("/me/certificates", methods=["GET", "POST"])
@login_required
def mine():
    """志愿服务记录证明: issue one from my approved records, or open one issued before."""
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        ok, certificate = attempt(lambda: services.issue(current_user, current_user))
        if ok:
            flash(_("Certificate %(number)s is issued.", number=certificate.number), "success")
            return redirect(url_for("certificates.show", certificate_id=certificate.id))
    return render_template("certificates/mine.html", certificates=services.certificates_of(current_user),
                           form=form)


@bp.route("/certificates/<int:certificate_id>")
@login_required
def show(certificate_id):
    certificate = services.get_certificate_for(current_user, certificate_id)
    url = services.verify_url(certificate)
    return render_template("certificates/show.html", certificate=certificate, s=certificate.snapshot,
                           verify_url=url, qr_svg=qr.svg(url).decode(), form=ActionForm(),
                           may_revoke=manages(current_user, certificate.issuing_node))


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id):
    certificate = services.get_certificate_for(current_user, certificate_id)
    return Response(services.pdf(certificate), mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=certificate-{certificate.number}.pdf"})


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@login_required
def revoke(certificate_id):
    certificate = services.get_certificate_for(current_user, certificate_id)
    return press(lambda: services.revoke(current_user, certificate, request.form.get("reason", "")),
                 _("Certificate %(number)s is revoked.", number=certificate.number),
                 url_for("certificates.show", certificate_id=certificate.id))


@bp.route("/verify/<token>")
def verify(token):
    """Public: the certificate as issued (identity masked), and whether it was revoked."""
    certificate = services.by_token(token)
    return render_template("certificates/verify.html", certificate=certificate, s=certificate.snapshot)


@bp.route("/centres/<int:centre_id>/seal", methods=["GET", "POST"])
@login_required
def seal(centre_id):
    """The centre's seal for its certificates (its administrators)."""
    centre = get_node(centre_id)
    require_centre_admin(current_user, centre, _("Only the centre's administrators can set its seal."))
    form = ActionForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        upload = request.files.get("seal")
        ok, _seal = attempt(lambda: services.set_seal(current_user, centre, upload.read() if upload else b""))
        if ok:
            flash(_("The seal is saved."), "success")
            return redirect(url_for("certificates.seal", centre_id=centre.id))
        status = 422
    return render_template("certificates/seal.html", centre=centre, form=form,
                           has_seal=services.seal_of(centre.id) is not None), status
