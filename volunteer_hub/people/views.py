"""Pages: sign up, log in / out, my profile, language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core import limits
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.nodes.services import stations_under
from volunteer_hub.people import logins, services, verification
from volunteer_hub.people.forms import (
    ChangePasswordForm,
    LoginForm,
    PasswordResetForm,
    PhoneCodeForm,
    ProfileForm,
    ResetLinkForm,
    SignupForm,
    split_skills,
)
from volunteer_hub.people.login import authenticate, end_session, start_session
from volunteer_hub.people.logins import LoginDelayed

bp = Blueprint("people", __name__)


def _station_choices():
    return [(s.id, f"{s.name} ({s.code})") for s in stations_under()]


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an absolute URL here would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


CODE_FORM = "sms"  # a prefix: the page's main form has a phone field too


@bp.route("/phone-code", methods=["POST"])
@limits.phone_code
def phone_code():
    """Text a one-time code, then back to the page that asked (sign-up or password reset)."""
    form = PhoneCodeForm(prefix=CODE_FORM)
    back = "people.password_reset" if form.purpose.data == "reset" else "people.signup"
    if form.validate_on_submit():
        ok, code = attempt(lambda: verification.request_code(form.phone.data, form.purpose.data,
                                                            limits.client_ip()))
        if ok:
            flash(_("If this number can use it, a code is on its way; it is valid for 5 minutes."), "info")
            if code and current_app.debug:  # development without an SMS gateway
                flash(_("Development mode: the code is %(code)s.", code=code), "info")
    else:
        flash(_("Enter an 11-digit mainland mobile number, e.g. 13812345678."), "error")
    return redirect(url_for(back, phone=form.phone.data or ""))


def _code_form(purpose: str) -> PhoneCodeForm:
    form = PhoneCodeForm(prefix=CODE_FORM, purpose=purpose)
    form.phone.data = form.phone.data or request.args.get("phone", "")
    return form


@bp.route("/signup", methods=["GET", "POST"])
@limits.registration
def signup():
    form = SignupForm()
    form.home_station_id.choices = _station_choices()
    if request.method == "GET":
        form.phone.data = request.args.get("phone", "")
    if form.validate_on_submit():
        ok, user = attempt(lambda: verification.register_volunteer(
            code=form.code.data, name=form.name.data, phone=form.phone.data, password=form.password.data,
            home_station_id=form.home_station_id.data, id_number=form.id_number.data or None,
            skills=split_skills(form.skills.data)), form)
        if ok:
            start_session(user)
            flash(_("Welcome, %(name)s! You are registered as a volunteer.", name=user.name), "success")
            return redirect(url_for("home.index"))
    return render_template("people/signup.html", form=form, code_form=_code_form("register")), \
        422 if form.errors or form.form_errors else 200


@bp.route("/password-reset", methods=["GET", "POST"])
@limits.phone_code
def password_reset():
    """找回密码: the code texted to the phone, then a new password."""
    form = PasswordResetForm()
    if request.method == "GET":
        form.phone.data = request.args.get("phone", "")
    if form.validate_on_submit():
        ok, _user = attempt(lambda: verification.reset_password(phone=form.phone.data, code=form.code.data,
                                                               password=form.password.data), form)
        if ok:
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("home.index"))
    return render_template("people/password_reset.html", form=form, code_form=_code_form("reset")), \
        422 if form.errors or form.form_errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limits.login
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.phone.data, form.password.data)
        except LoginDelayed as exc:
            user = None
            form.form_errors.append(exc.message)
        else:  # the page answers 422 without raising: the failure is kept and counts towards the lock-out
            if user is None:
                form.form_errors.append(_("Wrong phone number or password."))
        if user is not None:
            start_session(user)
            flash(_("Logged in as %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("people/login.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        end_session()
        flash(_("You have logged out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """在所有设备上退出: every session (this one too) and every API token of the account ends."""
    if ActionForm().validate_on_submit():
        logins.end_all_sessions(current_user._get_current_object())
        end_session()
        flash(_("You are logged out on every device."), "info")
    return redirect(url_for("home.index"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    """修改密码: every other session and API token ends; this browser stays logged in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        ok, _none = attempt(lambda: logins.change_password(user, form.current_password.data,
                                                           form.new_password.data), form)
        if ok:
            start_session(user)
            flash(_("Your password is changed; other devices are logged out."), "success")
            return redirect(url_for("people.profile"))
    return render_template("people/password.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_by_link(token):
    """The one-time link a station manager handed over in person: the volunteer sets a new password."""
    form = ResetLinkForm()
    ok, user = attempt(lambda: logins.user_for_reset_link(token), form)
    if ok and form.validate_on_submit():
        done, _user = attempt(lambda: logins.reset_with_link(token, form.password.data), form)
        if done:
            flash(_("Your password is set. Log in with it."), "success")
            return redirect(url_for("home.index"))
    return render_template("people/reset_link.html", form=form, user=user if ok else None), \
        422 if form.errors or form.form_errors else 200


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
