"""Encryption at rest for secret settings (Stripe keys, the webhook signing secret).

AES-256-GCM with a key derived (HKDF-SHA256) from KIOSK_SECRET_KEY, never the variable itself, so
the same operator secret can sign CSRF tokens elsewhere without the two uses meeting. Each value is
bound to its setting name (GCM associated data): a ciphertext copied onto another row fails to open.
Outside the demo the kiosk refuses to start without a secret key; the demo without one uses a key
that lives as long as the process (its database is fresh on every run anyway).
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.config import Settings

VERSION = "v1"
NONCE_BYTES = 12
# An operator secret shorter than this is a placeholder, not a key.
MIN_SECRET_KEY_LENGTH = 16
_PROCESS_KEY = secrets.token_bytes(32)


class MissingSecretKey(RuntimeError):
    """The kiosk may not start: secrets could not be kept encrypted."""


class UnreadableSecret(ValueError):
    """A stored value that this key cannot decrypt (the secret key changed, or it was tampered with)."""


def check_secret_key(settings: Settings) -> None:
    """Refuse to run outside the demo without a usable KIOSK_SECRET_KEY."""
    if settings.demo:
        return
    if not settings.secret_key:
        raise MissingSecretKey(
            "KIOSK_SECRET_KEY is not set. The kiosk encrypts Stripe keys with it and will not start without it: "
            "set it to a long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    if len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise MissingSecretKey(f"KIOSK_SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} characters.")


def _derive(secret_key: str) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kiosk", info=b"kiosk settings encryption v1")
    return kdf.derive(secret_key.encode())


class SecretBox:
    """Seals and opens setting values with the kiosk's key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        check_secret_key(settings)
        return cls(_derive(settings.secret_key) if settings.secret_key else _PROCESS_KEY)

    def seal(self, name: str, plaintext: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), name.encode())
        return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, name: str, stored: str) -> str:
        version, _, payload = stored.partition(".")
        if version != VERSION or not payload:
            raise UnreadableSecret(f"{name}: not a value this kiosk wrote")
        try:
            raw = base64.urlsafe_b64decode(payload.encode())
            plaintext = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], name.encode())
            return plaintext.decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise UnreadableSecret(f"{name}: cannot be decrypted with the current KIOSK_SECRET_KEY") from exc
