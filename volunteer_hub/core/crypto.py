"""Encryption of personal data at rest (ID-card numbers).

Fernet (AES-128-CBC + HMAC) with a key derived from ``ID_ENCRYPTION_KEY``;
lookups use a keyed HMAC digest so the plaintext is never needed to find duplicates.
"""
import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from flask import current_app


def _key_material(purpose: bytes) -> bytes:
    secret = current_app.config["ID_ENCRYPTION_KEY"].encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def encrypt(plaintext: str) -> str:
    key = base64.urlsafe_b64encode(_key_material(b"fernet"))
    return Fernet(key).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    key = base64.urlsafe_b64encode(_key_material(b"fernet"))
    return Fernet(key).decrypt(token.encode()).decode()


def lookup_digest(value: str) -> str:
    return hmac.new(_key_material(b"lookup"), value.encode(), hashlib.sha256).hexdigest()
