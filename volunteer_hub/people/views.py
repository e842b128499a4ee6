"""Pages: sign up, log in / out, my profile, language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from volunteer_hub.core import limits
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.nodes.services import stations_under
from volunteer_hub.people import services
from volunteer_hub.people.forms import LoginForm, ProfileForm, SignupForm, split_skills

bp = Blueprint("people", __name__)


def _station_choices():
    return [(s.id, f"{s.name} ({s.code})") for s in stations_under()]


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an absolute URL here would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    form.home_station_id.choices = _station_choices()
    if form.validate_on_submit():
        ok, user = attempt(lambda: services.register_volunteer(
            name=form.name.data, phone=form.phone.data, password=form.password.data,
            home_station_id=form.home_station_id.data, id_number=form.id_number.data or None,
            skills=split_skills(form.skills.data)), form)
        if ok:
            login_user(user)
            flash(_("Welcome, %(name)s! You are registered as a volunteer.", name=user.name), "success")
            return redirect(url_for("home.index"))
    return render_template("people/signup.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limits.login
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.phone.data, form.password.data)
        except services.AccountLocked as exc:
            user = None
            form.form_errors.append(exc.message)
        else:  # the page answers 422 without raising: the failure is kept and counts towards the lock-out
            if user is None:
                form.form_errors.append(_("Wrong phone number or password."))
        if user is not None:
            login_user(user)
            flash(_("Logged in as %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("people/login.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile():
    profile = current_user.profile
    form = ProfileForm(obj=current_user)
    if profile is None:
        for name in ("home_station_id", "id_number", "skills"):
            delattr(form, name)
    else:
        form.home_station_id.choices = _station_choices()
        if request.method == "GET":
            form.home_station_id.data = profile.home_station_id
            form.skills.data = ", ".join(profile.skills)
    if form.validate_on_submit():
        volunteer_fields = {} if profile is None else {
            "id_number": form.id_number.data or None, "skills": split_skills(form.skills.data),
            "home_station_id": form.home_station_id.data}
        ok, _user = attempt(lambda: services.update_profile(current_user, name=form.name.data, **volunteer_fields),
                            form)
        if ok:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("people.profile"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("people/profile.html", form=form, profile=profile), status


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    if code in current_app.config["LANGUAGES"] and ActionForm().validate_on_submit():
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
