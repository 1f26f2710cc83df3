"""The one home of the API key format: ``pgv_`` and 43 characters of
URL-safe base64 (256 random bits). Only the key's SHA-256 goes to the
database, with its first 12 characters to recognise it in lists; the key
itself is shown once, by whoever made it. A random 256-bit key needs no slow
hash: nobody can guess one from its SHA-256 (passwords are another matter)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_PREFIX = "pgv_"
SHOWN_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class NewKey:
    key: str
    key_hash: bytes
    prefix: str


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def new_api_key() -> NewKey:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return NewKey(key, hash_key(key), key[:SHOWN_PREFIX_LENGTH])
