"""Helpers that connect service calls and their errors to WTForms pages."""
from flask import flash, redirect
from flask_wtf import FlaskForm

from volunteer_hub.core.errors import DomainError, Forbidden, NotFound
from volunteer_hub.extensions import db


class ActionForm(FlaskForm):
    """A form with no fields: a button that POSTs, protected by CSRF."""


def show_errors(form: FlaskForm, exc: DomainError, aliases: dict | None = None) -> None:
    """Put a service's field errors beside the inputs; the rest goes to ``form.form_errors``.

    ``aliases`` maps a service's field name to the form's, where the form asks differently
    (a phone number where the service takes a user id).
    """
    for name, messages in exc.fields.items():
        field = getattr(form, (aliases or {}).get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not exc.fields:
        form.form_errors.append(exc.message)


def attempt(action, form: FlaskForm | None = None, aliases: dict | None = None):
    """Run ``action`` (service calls): ``(True, result)``; the request commits at its end.

    On a domain error roll back and show it, beside the inputs of ``form`` or as a flash
    when there is no form: ``(False, None)``. Being refused (403) or pointing at nothing (404) is
    not something to correct in the form: those go to the error page with their status.
    """
    try:
        result = action()
        db.session.flush()
    except (Forbidden, NotFound):
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        if form is None:
            flash(exc.message, "error")
        else:
            show_errors(form, exc, aliases)
        return False, None
    return True, result


def press(action, done: str, back: str):
    """A button's POST: run ``action`` (service calls) when the CSRF token holds, flash ``done`` or
    the service's error, and go ``back``."""
    if ActionForm().validate_on_submit():
        ok, _result = attempt(action)
        if ok:
            flash(done, "success")
    return redirect(back)
