"""Pages that bring features together, asking each and deciding nothing: the home page (a welcome
for visitors; for people signed in, their teams, this week's theme and their work) and a node's
page for its managers (children, managers, teams)."""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import local_date, utcnow
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.core.permissions import (
    administered_centre_ids,
    is_global_admin,
    managed_roots,
    manages,
    staffed_merchant_ids,
)
from volunteer_hub.credits import services as credits
from volunteer_hub.events.covers import version_of as cover_version
from volunteer_hub.events.services import upcoming_signups
from volunteer_hub.extensions import db
from volunteer_hub.needs import services as needs
from volunteer_hub.nodes import services as nodes
from volunteer_hub.nodes.forms import KIND_CHOICES, ManagerForm, NodeEditForm, NodeForm
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.people import services as people
from volunteer_hub.teams.services import list_teams, teams_of
from volunteer_hub.themes.services import saturdays_without_theme, theme_for_week
from volunteer_hub.vouchers import services as vouchers

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/welcome.html")
    roots = managed_roots(current_user)
    now = utcnow()
    today = local_date(now)
    node = current_user.profile.home_station if current_user.profile else (roots[0] if roots else None)
    page = {"memberships": teams_of(current_user),
            "week_theme": theme_for_week(node, today) if node else None,
            "report_centres": sorted({root.centre_id for root in roots}), "queue_roots": roots,
            "administered_centres": administered_centre_ids(current_user),
            "is_global_admin": is_global_admin(current_user), "now": now}
    if current_user.profile is not None:  # a volunteer: the next day, hours and stars, credits, vouchers
        upcoming = upcoming_signups(current_user, now)[:6]
        next_signup = upcoming[0] if upcoming else None
        page.update(next_signup=next_signup, later_signups=upcoming[1:],
                    next_cover=cover_version(next_signup.service_day) if next_signup else None,
                    hours=checkin.hours_summary(current_user, now), wallet=credits.wallet_summary(current_user),
                    vouchers=vouchers.open_vouchers(current_user, now))
    if roots:  # a manager: today's days, approvals waiting, requests to dispatch, weeks without a theme
        page.update(today=checkin.today_for(current_user, now), to_dispatch=needs.waiting_dispatch(current_user),
                    no_theme=saturdays_without_theme(roots[0], today))
    staff_of = staffed_merchant_ids(current_user)
    if staff_of:  # merchant staff: the counter and today's redemptions
        page.update(redeemed_today=vouchers.confirmed_today(staff_of, now))
    if current_user.profile is None and not roots and not staff_of:  # a resident: their requests
        page.update(requests=db.session.scalars(needs.list_needs(current_user).limit(10)).all(),
                    need_steps=NEED_STEPS)
    return render_template("home/index.html", **page)


@bp.route("/my")
@login_required
def mine():
    """我的: everything a person can reach, by role (the phone's tab bar shows five places only)."""
    roots = managed_roots(current_user)
    return render_template("home/mine.html", roots=roots, centres=administered_centre_ids(current_user),
                           is_global_admin=is_global_admin(current_user))


# --- the installable web app (PWA) ---------------------------------------------------------------

# What the service worker keeps for a phone without signal: the app shell, the scanner and the offline page…
SHELL = ("style.css", "site.js", "offline.js", "scanner.js", "checkin.js", "vendor/weui.min.css",
         "vendor/zxing-reader.js", "vendor/zxing_reader.wasm", "icons/icon-192.png")
# …and the pages a volunteer reads in the field, as last opened: home, 扫一扫, service days, 我的, vouchers, inbox.
OFFLINE_PAGES = r"^/(scan|events(/\d+)?|my|me/vouchers|notifications)?$"


@lru_cache(maxsize=64)
def _revision(path: Path, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _shell() -> list[dict]:
    static = Path(current_app.static_folder)
    entries = [{"url": url_for("static", filename=name),
                "revision": _revision(static / name, (static / name).stat().st_mtime)} for name in SHELL]
    # The offline page changes with its templates and the catalogues.
    digest = hashlib.sha256()
    for name in ("home/offline.html", "base.html"):
        digest.update(current_app.jinja_env.loader.get_source(current_app.jinja_env, name)[0].encode())
    for catalogue in sorted(Path(current_app.root_path, "translations").glob("*/LC_MESSAGES/messages.mo")):
        digest.update(_revision(catalogue, catalogue.stat().st_mtime).encode())
    return [*entries, {"url": url_for("home.offline"), "revision": digest.hexdigest()[:16]}]


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest: Chrome on Android offers to install the site as an app (安装)."""
    icon = lambda name, size, purpose: {"src": url_for("static", filename=f"icons/{name}"),  # noqa: E731
                                        "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
    body = {"name": _("Civilisation Practice Volunteers"), "short_name": pgettext("short app name", "Volunteers"),
            "description": _("Service days, QR check-in, hours and civility credits of your practice centre."),
            "lang": str(get_locale()).replace("_", "-"), "start_url": "/", "scope": "/", "display": "standalone",
            "background_color": "#f6f7f9", "theme_color": "#b3261e",
            "icons": [icon("icon-192.png", 192, "any"), icon("icon-512.png", 512, "any"),
                      icon("maskable-512.png", 512, "maskable")],
            "shortcuts": [{"name": _("Scan to check in"), "url": url_for("checkin.scanner")}]}
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.cache_control.max_age = 3600
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, at the root so that it may control every page; never cached by the browser, so
    a new release reaches phones on their next visit."""
    response = make_response(render_template("home/sw.js", shell=_shell(), pages=OFFLINE_PAGES))
    response.mimetype = "text/javascript"
    response.cache_control.no_cache = True
    return response


@bp.route("/offline")
def offline():
    """What a page the phone has not kept shows without signal (precached by the service worker)."""
    return render_template("home/offline.html")


# 点单 → 派单 → 接单 → 评单, and which states have reached each step.
NEED_STEPS = [("submit", {"submitted", "dispatched", "accepted", "completed", "reviewed"}),
              ("dispatch", {"dispatched", "accepted", "completed", "reviewed"}),
              ("accept", {"accepted", "completed", "reviewed"}), ("review", {"reviewed"})]


def _managed_node(node_id: int) -> Node:
    node = nodes.get_node(node_id)
    if not manages(current_user, node):
        abort(403)
    return node


def _edit_form(node, form=None) -> NodeEditForm:
    form = form or NodeEditForm(obj=node)
    form.parent_id.choices = [(parent.id, parent.name) for parent in nodes.possible_parents(current_user, node)]
    return form


def _child_form(node, form: NodeForm) -> NodeForm:
    """Only the kinds that may sit below ``node`` (a station holds points; a point holds nothing)."""
    form.kind.choices = [(kind, label) for kind, label in KIND_CHOICES
                         if NodeKind(kind).level > node.node_kind.level]
    return form


def _render_node(node, node_form=None, manager_form=None, edit_form=None, status=200):
    return render_template(
        "home/node.html", node=node, managers=people.managers_of(node),
        teams=db.session.scalars(list_teams(node=node)).all(),
        node_form=_child_form(node, node_form or NodeForm()), manager_form=manager_form or ManagerForm(),
        edit_form=_edit_form(node, edit_form), action_form=ActionForm(),
    ), status


@bp.route("/nodes/<int:node_id>")
@login_required
def node(node_id):
    return _render_node(_managed_node(node_id))


@bp.route("/nodes/<int:node_id>/edit", methods=["POST"])
@login_required
def edit_node(node_id):
    """编辑节点: name, address, location, and where it belongs."""
    node = _managed_node(node_id)
    form = _edit_form(node, NodeEditForm())
    if node.parent_id is None:
        del form.parent_id
    if form.validate_on_submit():
        changes = {"name": form.name.data, "address": form.address.data or "", "lat": form.lat.data,
                   "lon": form.lon.data}
        if node.parent_id is not None:
            changes["parent_id"] = form.parent_id.data
        ok, _node = attempt(lambda: nodes.update_node(current_user, node, **changes), form)
        if ok:
            flash(_("%(name)s is saved.", name=node.name), "success")
            return redirect(url_for("home.node", node_id=node.id))
    return _render_node(node, edit_form=form, status=422)


@bp.route("/nodes/<int:node_id>/children", methods=["POST"])
@login_required
def add_child(node_id):
    node = _managed_node(node_id)
    form = _child_form(node, NodeForm())
    if form.validate_on_submit():
        ok, child = attempt(lambda: nodes.create_node(
            current_user, name=form.name.data, kind=form.kind.data, parent_id=node.id, code=form.code.data or None,
            address=form.address.data or "", lat=form.lat.data, lon=form.lon.data), form)
        if ok:
            flash(_("%(name)s is created.", name=child.name), "success")
            return redirect(url_for("home.node", node_id=node.id))
    return _render_node(node, node_form=form, status=422)


@bp.route("/nodes/<int:node_id>/managers", methods=["POST"])
@login_required
def add_manager(node_id):
    node = _managed_node(node_id)
    form = ManagerForm()
    if form.validate_on_submit():
        ok, grant = attempt(
            lambda: people.appoint_manager(current_user, node, people.require_by_phone(form.phone.data)), form)
        if ok:
            flash(_("%(name)s now manages %(node)s.", name=grant.user.name, node=node.name), "success")
            return redirect(url_for("home.node", node_id=node.id))
    return _render_node(node, manager_form=form, status=422)


@bp.route("/nodes/<int:node_id>/managers/<int:user_id>/revoke", methods=["POST"])
@login_required
def revoke_manager(node_id, user_id):
    node = _managed_node(node_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, _result = attempt(lambda: people.revoke_manager(current_user, node, people.get_user(user_id)))
    if ok:
        flash(_("The management is revoked."), "success")
    return redirect(url_for("home.node", node_id=node.id))
