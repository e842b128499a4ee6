"""Issuing, verifying and revoking 志愿服务记录证明, and printing them (WeasyPrint).

A certificate keeps what it said the day it was issued: later approvals, reversals or renamed
stations never change it. Only its issuer's managers can revoke it, with a reason.
"""
import base64
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _

from volunteer_hub.certificates.models import CentreSeal, Certificate
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core import audit, qr
from volunteer_hub.core.db import local_tz, utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.images import image_type
from volunteer_hub.core.permissions import manages, require_centre_admin
from volunteer_hub.core.urls import external_url
from volunteer_hub.core.validators import mask_name
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node

MAX_SEAL_BYTES = 1024 * 1024


def _snapshot(user, node: Node, handler, now: datetime) -> dict:
    rows = checkin.approved_attendance(user)
    if not rows:
        message = _("There are no approved hours to certify yet.")
        raise ValidationFailed(message, {"user_id": [message]}, code="no_hours")
    summary = checkin.hours_summary(user, now=now)
    return {
        "name": user.name, "masked_name": mask_name(user.name),
        "masked_id": user.profile.id_number_masked if user.profile else None,
        "centre": db.session.get(Node, node.centre_id).name, "issuer": node.name, "handler": handler.name,
        "services": [{"title": row.service_day.title, "place": row.service_day.address or row.service_day.node.name,
                      "date": row.service_day.starts_at.astimezone(local_tz()).date().isoformat(),
                      "hours": row.hours, "organiser": row.service_day.node.name} for row in rows],
        "total_hours": summary["total_hours"], "star_level": summary["star_level"],
    }


def _next_number(centre: Node, now: datetime) -> str:
    year = now.astimezone(local_tz()).year
    prefix = f"{centre.code}-{year}-"
    issued = db.session.scalar(sa.select(sa.func.count()).select_from(Certificate).where(
        Certificate.centre_id == centre.id, Certificate.number.startswith(prefix)))
    return f"{prefix}{issued + 1:05d}"  # two at the same instant: the unique number makes one a 409


def issue(actor, user, now: datetime | None = None) -> Certificate:
    """出具证明: the volunteer for themselves (self-service), or a manager of their home station."""
    if user.profile is None:
        raise ValidationFailed(_("Only volunteers have service records."),
                               {"user_id": [_("Only volunteers have service records.")]})
    node = user.profile.home_station
    if actor.id != user.id and not manages(actor, node):
        raise Forbidden(_("Only the volunteer or a manager of %(station)s can issue this.", station=node.name))
    now = now or utcnow()
    centre = db.session.get(Node, node.centre_id)
    certificate = Certificate(number=_next_number(centre, now), token=secrets.token_urlsafe(32),
                              centre_id=centre.id, issuing_node_id=node.id, user_id=user.id, handler_id=actor.id,
                              issued_at=now, snapshot=_snapshot(user, node, actor, now))
    db.session.add(certificate)
    db.session.flush()
    audit.record(actor, "certificate.issue", certificate, number=certificate.number, user_id=user.id)
    return certificate


def get_certificate_for(actor, certificate_id: int) -> Certificate:
    """The holder's own certificate, or one issued at a node the actor manages (others: 404)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not (certificate.user_id == actor.id or manages(actor, certificate.issuing_node)):
        raise NotFound(_("No such certificate: %(id)s.", id=certificate_id))
    return certificate


def by_token(token: str) -> Certificate:
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.token == (token or "")[:43]))
    if certificate is None:
        raise NotFound(_("No certificate has this verification code."))
    return certificate


def certificates_of(user) -> list[Certificate]:
    return db.session.scalars(sa.select(Certificate).where(Certificate.user_id == user.id)
                              .order_by(Certificate.id.desc())).all()


def revoke(actor, certificate: Certificate, reason: str, now: datetime | None = None) -> Certificate:
    """撤销: a manager of the issuing node withdraws a certificate; verification then says so."""
    if not manages(actor, certificate.issuing_node):
        raise Forbidden(_("Only managers of %(node)s can revoke its certificates.",
                          node=certificate.issuing_node.name))
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for revoking.")
        raise ValidationFailed(message, {"reason": [message]})
    revoked = db.session.execute(
        sa.update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_by_id=actor.id, revoke_reason=reason[:200])
        .execution_options(synchronize_session=False)).rowcount
    if not revoked:
        raise Conflict(_("This certificate is already revoked."), code="revoked")
    db.session.refresh(certificate)
    audit.record(actor, "certificate.revoke", certificate, number=certificate.number, reason=reason)
    return certificate


# --- the seal and the printed certificate -----------------------------------------------------------

def set_seal(actor, centre: Node, png: bytes, now: datetime | None = None) -> CentreSeal:
    require_centre_admin(actor, centre, _("Only the centre's administrators can set its seal."))
    if image_type(png or b"") != "image/png" or len(png) > MAX_SEAL_BYTES:
        message = _("The seal is a PNG image of at most 1 MB.")
        raise ValidationFailed(message, {"seal": [message]})
    seal = db.session.get(CentreSeal, centre.id) or CentreSeal(centre_id=centre.id)
    seal.png, seal.updated_by_id, seal.updated_at = png, actor.id, now or utcnow()
    db.session.add(seal)
    db.session.flush()
    audit.record(actor, "centre.seal", centre, size=len(png))
    return seal


def seal_of(centre_id: int) -> CentreSeal | None:
    return db.session.get(CentreSeal, centre_id)


def verify_url(certificate: Certificate) -> str:
    return external_url("certificates.verify", token=certificate.token)


def pdf(certificate: Certificate) -> bytes:
    """The printable certificate: A4, the CJK font the Makefile installs, the seal and a QR code."""
    from weasyprint import HTML  # heavy; only a PDF needs it

    seal = seal_of(certificate.centre_id)
    html = render_template(
        "certificates/pdf.html", certificate=certificate, s=certificate.snapshot,
        seal_uri=f"data:image/png;base64,{base64.b64encode(seal.png).decode()}" if seal else None,
        qr_svg=qr.svg(verify_url(certificate)).decode(), verify_url=verify_url(certificate))
    # base_url: the stylesheet the template links sits with the other static files.
    return HTML(string=html, base_url=current_app.static_folder + "/").write_pdf()
