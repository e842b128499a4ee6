"""Helpers that connect service errors to WTForms pages."""
from flask_wtf import FlaskForm

from volunteer_hub.core.errors import DomainError


class ActionForm(FlaskForm):
    """A form with no fields: a button that POSTs, protected by CSRF."""


def show_errors(form: FlaskForm, exc: DomainError) -> None:
    """Put a service's field errors beside the inputs; the rest goes to ``form.form_errors``."""
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not exc.fields:
        form.form_errors.append(exc.message)
