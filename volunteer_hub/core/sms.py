"""Text messages to a phone that may have no account yet (invitations, later verification codes).

``SMS_BACKEND`` chooses how they leave: ``log`` (development: the log only) or ``webhook`` (a
signed POST to the centre's gateway, registered by the notifications feature). A provider's SDK
plugs in the same way: ``register_backend("name", send)`` where ``send(phone, text, *, key,
centre_id)`` queues or sends one message and raises nothing for a phone that cannot be reached.
"""
import logging
from collections.abc import Callable

from flask import current_app

log = logging.getLogger(__name__)

_BACKENDS: dict[str, Callable[..., None]] = {}


def register_backend(name: str, send: Callable[..., None]) -> None:
    _BACKENDS[name] = send


def send(phone: str, text: str, *, key: str, centre_id: int | None = None) -> None:
    """Send ``text`` once per ``key`` (backends that queue dedupe on it)."""
    name = current_app.config["SMS_BACKEND"]
    if name not in _BACKENDS:
        raise RuntimeError(f"SMS_BACKEND={name!r} is not one of {sorted(_BACKENDS)}")
    _BACKENDS[name](phone, text, key=key, centre_id=centre_id)


def _to_log(phone: str, text: str, *, key: str, centre_id: int | None = None) -> None:
    log.info("SMS to %s (%s): %s", phone, key, text)


register_backend("log", _to_log)
