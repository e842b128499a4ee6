"""Keys: signing (sessions, check-in codes, device cookies) and encryption of personal data at rest
(ID-card numbers), both rotatable.

Signing uses ``SECRET_KEY``; ``SECRET_KEY_FALLBACKS`` (old keys) still verify, so a rotation logs
nobody out and leaves printed check-in posters valid. ID numbers are encrypted with Fernet under a
key derived from ``ID_ENCRYPTION_KEY``; ``ID_ENCRYPTION_KEY_FALLBACKS`` still decrypt (MultiFernet),
and ``flask --app wsgi hub rotate-keys`` re-encrypts every stored number under the current key.
Lookups use a keyed HMAC digest, so duplicates are found without decrypting anything.
"""
import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


def signing_keys() -> list[str]:
    """For itsdangerous: the old keys first, the current one last (it signs; all verify)."""
    return [*current_app.config["SECRET_KEY_FALLBACKS"], current_app.config["SECRET_KEY"]]


def _encryption_keys() -> list[str]:
    """The current ID-number key first, then the old ones."""
    return [current_app.config["ID_ENCRYPTION_KEY"], *current_app.config["ID_ENCRYPTION_KEY_FALLBACKS"]]


def _key_material(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


def _fernets() -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_key_material(k, b"fernet"))) for k in _encryption_keys()])


def encrypt(plaintext: str) -> str:
    return _fernets().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _fernets().decrypt(token.encode()).decode()


def lookup_digest(value: str) -> str:
    """The digest stored beside the ciphertext, under the current key."""
    return lookup_digests(value)[0]


def lookup_digests(value: str) -> list[str]:
    """The digests ``value`` has under every key, current first: rows not yet rotated still match."""
    return [hmac.new(_key_material(k, b"lookup"), value.encode(), hashlib.sha256).hexdigest()
            for k in _encryption_keys()]
