"""The one home of web users' passwords: argon2id, with argon2-cffi's
defaults (``PasswordHasher()``: RFC 9106's low-memory profile, 64 MiB, 3
passes, 4 lanes, a 16-byte salt). Only the PHC string
(``$argon2id$v=19$m=...,t=...,p=...$salt$hash``) reaches the database;
``create_web_user()`` refuses anything else, so a password cannot be stored
as it is. Hashing and verifying cost tens of milliseconds of CPU on
purpose: the server runs them in a thread (``asyncio.to_thread``)."""

from __future__ import annotations

import functools
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase; bounds what a login makes the server hash.
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()
# At most this many hashes at once per process (64 MiB of memory each): a
# flood of logins queues here instead of taking the machine's memory.
_AT_ONCE = threading.BoundedSemaphore(4)


def password_problem(password: str) -> str | None:
    """Why this password cannot be a web user's, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    """The argon2id PHC string of a password, with a random salt."""
    with _AT_ONCE:
        return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash; False too for a malformed hash."""
    try:
        with _AT_ONCE:
            return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash no password is known to match: a login for a user who does not
    exist is verified against it, so it takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(32))
