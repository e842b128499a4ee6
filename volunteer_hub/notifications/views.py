"""Pages: my inbox, and a centre's webhook settings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, URLField
from wtforms.validators import DataRequired, Length

from volunteer_hub.core import outbound
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.extensions import db
from volunteer_hub.nodes.services import get_node
from volunteer_hub.notifications import services

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_messages():
    """The header's unread count, on every page (core's templating knows no feature)."""
    return {"unread_messages": services.unread_count(current_user) if current_user.is_authenticated else 0}


@bp.route("/inbox")
@login_required
def inbox():
    unread_only = request.args.get("unread") == "1"
    page = db.paginate(services.inbox_query(current_user, unread_only), per_page=20, error_out=False)
    return render_template("notifications/inbox.html", page=page, unread_only=unread_only,
                           unread=services.unread_count(current_user), action_form=ActionForm())


@bp.route("/inbox/<int:notification_id>/open", methods=["POST"])
@login_required
def open_message(notification_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    message = services.get_message(current_user, notification_id)
    services.mark_read(current_user, [message.id])
    # Only our own pages: a stored link is relative, never an open redirect.
    target = message.link if message.link.startswith("/") and not message.link.startswith("//") else None
    return redirect(target or url_for("notifications.inbox"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def read_all():
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user)
    flash(_("All messages are marked read."), "success")
    return redirect(url_for("notifications.inbox"))


class WebhookForm(FlaskForm):
    url = URLField(_l("Gateway address"), validators=[Length(max=500), DataRequired()],
                   description=_l("Every message to this centre's volunteers is POSTed here as signed JSON."))
    active = BooleanField(_l("Active"), default=True)
    new_secret = BooleanField(_l("Make a new signing secret"))


@bp.route("/centres/<int:centre_id>/webhook", methods=["GET", "POST"])
@login_required
def webhook(centre_id):
    centre = get_node(centre_id)
    services.require_webhook_admin(current_user, centre)
    endpoint = services.webhook_of(centre)
    form = WebhookForm(obj=endpoint)
    if form.validate_on_submit():
        ok, endpoint = attempt(lambda: services.configure_webhook(
            current_user, centre, url=form.url.data, active=form.active.data, new_secret=form.new_secret.data), form)
        if ok:
            flash(_("The webhook is saved."), "success")
            return redirect(url_for("notifications.webhook", centre_id=centre.id))
        endpoint = services.webhook_of(centre)
    deliveries = services.recent_deliveries(endpoint) if endpoint else []
    status = 422 if form.errors or form.form_errors else 200
    return render_template("notifications/webhook.html", centre=centre, form=form, endpoint=endpoint,
                           deliveries=deliveries, failure=outbound.describe), status
