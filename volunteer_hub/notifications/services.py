"""Inbox messages, fanned out in one statement, and signed webhook deliveries retried with back-off."""
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from volunteer_hub.core import audit, outbound, sms
from volunteer_hub.core.db import dialect_insert, insert_ignoring_conflicts, utcnow
from volunteer_hub.core.errors import NotFound, ValidationFailed
from volunteer_hub.core.permissions import require_centre_admin
from volunteer_hub.extensions import db
from volunteer_hub.notifications.messages import Later
from volunteer_hub.notifications.models import DeliveryStatus, Notification, WebhookDelivery, WebhookEndpoint
from volunteer_hub.people.models import User

log = logging.getLogger(__name__)

RECIPIENTS_PER_DELIVERY = 500
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
DELIVERY_TIMEOUT_S = 10
SIGNATURE_HEADER = "X-VolunteerHub-Signature"
TIMESTAMP_HEADER = "X-VolunteerHub-Timestamp"


# --- inbox ----------------------------------------------------------------------------------------

def notify(recipients: sa.Select, *, key: str, kind: str, title: str | Later, body: str | Later = "",
           link: str = "", centre_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Put a message in the inbox of every user ``recipients`` (a SELECT of user ids) yields.

    One INSERT … SELECT … ON CONFLICT DO NOTHING: a user already told of ``key`` is skipped, so a
    job that runs twice (or two schedulers at once) tells everyone once. Returns the users told now;
    their messages also go to the centre's webhook.
    """
    now = now or utcnow()
    # A Later is kept as its catalogue entry for the reader's language, and as text (the default
    # language) for the webhook; user-written text (announcements) is kept as written.
    message = {part: value.stored() for part, value in (("title", title), ("body", body)) if isinstance(value, Later)}
    title, body = str(title), str(body)
    values = sa.select(recipients.subquery().c[0], sa.literal(key), sa.literal(kind), sa.literal(title[:200]),
                       sa.literal(body), sa.literal(link[:255]), sa.literal(now, type_=Notification.created_at.type),
                       sa.literal(message or None, type_=Notification.message.type))
    # SQLite needs a WHERE in INSERT … SELECT before ON CONFLICT (its parser would read ON as a join).
    statement = (dialect_insert(Notification)
                 .from_select(["user_id", "key", "kind", "title", "body", "link", "created_at", "message"],
                              values.where(sa.true()))
                 .on_conflict_do_nothing().returning(Notification.user_id))
    told = list(db.session.scalars(statement))
    if told and centre_id is not None:
        _enqueue(centre_id, key=key, event=kind, message={"title": title, "body": body, "link": link},
                 user_ids=told, now=now)
    return told


def notify_users(user_ids, **message) -> list[int]:
    ids = sorted(set(user_ids))
    return notify(sa.select(User.id).where(User.id.in_(ids)), **message) if ids else []


def inbox_query(user, unread_only: bool = False) -> sa.Select:
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return query.where(Notification.read_at.is_(None)) if unread_only else query


def unread_count(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def get_message(user, notification_id: int) -> Notification:
    message = db.session.get(Notification, notification_id)
    if message is None or message.user_id != user.id:
        raise NotFound(_("No such message: %(id)s.", id=notification_id))
    return message


def mark_read(user, ids=None, now: datetime | None = None) -> int:
    """Mark some of the user's messages (or all, ``ids=None``) read; returns how many changed."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return db.session.execute(query.values(read_at=now or utcnow())
                              .execution_options(synchronize_session=False)).rowcount


# --- webhooks -------------------------------------------------------------------------------------

def webhook_of(centre) -> WebhookEndpoint | None:
    return db.session.scalar(sa.select(WebhookEndpoint).where(WebhookEndpoint.centre_id == centre.id))


def require_webhook_admin(actor, centre) -> None:
    require_centre_admin(actor, centre, _("Only the centre's administrators can configure its webhook."))


def _check_gateway_url(url: str) -> None:
    """https:// to a public address; plain http:// only into OUTBOUND_ALLOWED_NETWORKS (an on-premises
    gateway), since deliveries carry recipients' phone numbers. An https:// name that does not resolve
    from here is accepted (the gateway may be reachable only from production); deliveries check again."""
    allowed = current_app.config["OUTBOUND_ALLOWED_NETWORKS"]
    malformed = _("Give an https:// address of at most 500 characters (http:// only to an on-premises gateway "
                  "the server allows).")
    private = _("This address points into a private or local network; only public https:// addresses are "
                "allowed (an on-premises gateway needs OUTBOUND_ALLOWED_NETWORKS).")
    scheme = urlsplit(url).scheme
    try:
        if len(url) > 500 or scheme not in ("http", "https"):
            raise outbound.Refused("malformed")
        addresses = outbound.checked_addresses(*outbound.target(url)[1:], allowed)
        if scheme == "http" and not all(outbound.inside(a, allowed) for a in addresses):
            raise outbound.Refused("malformed")
    except outbound.Refused as refused:
        if refused.category == "dns" and scheme == "https":
            return
        message = private if refused.category == "address" and scheme == "https" else malformed
        raise ValidationFailed(message, {"url": [message]}) from None


def configure_webhook(actor, centre, *, url: str, active: bool = True, new_secret: bool = False) -> WebhookEndpoint:
    """A centre admin sets the gateway URL; the signing secret is made once and on request anew."""
    require_webhook_admin(actor, centre)
    url = (url or "").strip()
    _check_gateway_url(url)
    endpoint = webhook_of(centre)
    if endpoint is None:
        endpoint = WebhookEndpoint(centre_id=centre.id, secret=secrets.token_hex(32))
        db.session.add(endpoint)
    elif new_secret:
        endpoint.secret = secrets.token_hex(32)
    endpoint.url, endpoint.active, endpoint.updated_by_id = url, bool(active), actor.id
    db.session.flush()
    audit.record(actor, "webhook.configure", endpoint, url=url, active=bool(active), new_secret=bool(new_secret))
    return endpoint


def _active_endpoint(centre_id: int | None) -> WebhookEndpoint | None:
    return db.session.scalar(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.centre_id == centre_id, WebhookEndpoint.active.is_(True)))


def _enqueue(centre_id: int, *, key: str, event: str, message: dict, user_ids: list[int], now: datetime) -> None:
    endpoint = _active_endpoint(centre_id)
    if endpoint is None:
        return
    people = db.session.execute(sa.select(User.id, User.name, User.phone).where(User.id.in_(user_ids))
                                .order_by(User.id)).all()
    for start in range(0, len(people), RECIPIENTS_PER_DELIVERY):
        chunk = people[start:start + RECIPIENTS_PER_DELIVERY]
        payload = {"event": event, "key": key, **message,
                   "recipients": [{"user_id": i, "name": name, "phone": phone} for i, name, phone in chunk]}
        db.session.execute(insert_ignoring_conflicts(WebhookDelivery, {
            "endpoint_id": endpoint.id, "key": f"{key}:{chunk[0][0]}", "event": event, "payload": payload,
            "status": DeliveryStatus.PENDING, "attempts": 0, "next_attempt_at": now, "last_error": "",
            "created_at": now}))


def text_to_phone(phone: str, text: str, *, key: str, centre_id: int | None = None) -> None:
    """SMS_BACKEND=webhook: a text for a phone that may have no account goes to the centre's gateway
    as an ``sms`` event with one recipient. Without a gateway it is logged as not sent."""
    endpoint = _active_endpoint(centre_id)
    if endpoint is None:
        log.warning("SMS to %s (%s) not sent: centre %s has no active webhook", phone, key, centre_id)
        return
    payload = {"event": "sms", "key": key, "title": text, "body": "", "link": "",
               "recipients": [{"user_id": None, "name": "", "phone": phone}]}
    db.session.execute(insert_ignoring_conflicts(WebhookDelivery, {
        "endpoint_id": endpoint.id, "key": key, "event": "sms", "payload": payload,
        "status": DeliveryStatus.PENDING, "attempts": 0, "next_attempt_at": utcnow(), "last_error": "",
        "created_at": utcnow()}))


sms.register_backend("webhook", text_to_phone)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``: receivers recompute it and compare (see README)."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … doubling up to 6 h."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def _send(delivery: WebhookDelivery) -> str | None:
    """POST the delivery; None on a 2xx answer, else the failure's category (core.outbound)."""
    body = json.dumps({"id": delivery.id, **delivery.payload}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "volunteer_hub-webhook",
               "X-VolunteerHub-Delivery": str(delivery.id), TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(delivery.endpoint.secret, timestamp, body)}
    try:
        outbound.post(delivery.endpoint.url, body, headers, timeout=DELIVERY_TIMEOUT_S,
                      allowed=current_app.config["OUTBOUND_ALLOWED_NETWORKS"])
    except outbound.Refused as refused:
        return refused.category
    return None


def deliver_due(now: datetime | None = None, limit: int = 100) -> dict:
    """Send deliveries whose attempt is due. Rows are locked (SKIP LOCKED on PostgreSQL), so two
    schedulers never send one delivery at the same time; receivers dedupe on X-VolunteerHub-Delivery."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.PENDING,
                                         WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
        .with_for_update(skip_locked=True)).all()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for delivery in due:
        error = _send(delivery)
        delivery.attempts += 1
        if error is None:
            delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.DELIVERED, now, ""
            counts["delivered"] += 1
            continue
        delivery.last_error = error
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            counts["failed"] += 1
            log.warning("webhook delivery %s failed for good after %s attempts: %s", delivery.id,
                        delivery.attempts, error)
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            counts["retrying"] += 1
    return counts


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 20) -> list[WebhookDelivery]:
    return db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                              .order_by(WebhookDelivery.id.desc()).limit(limit)).all()
