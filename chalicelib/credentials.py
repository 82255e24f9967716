"""API keys and Web Connector passwords: generation, hashing and constant-time checks (pure).

API keys are 256-bit random strings, so a SHA-256 digest is enough to store and look them up.

Web Connector passwords are never chosen by a person: `new_password` generates them (160 random bits) and
the merchant pastes them into the Web Connector. A slow password hash only helps against guessing a secret
with little entropy; for a look-up secret of at least 112 bits a salted hash with an approved one-way
function is enough (NIST SP 800-63B, 5.1.2.2 "Look-Up Secret Verifiers"). So they are stored as
`sha256$<base64 salt>$<base64 HMAC-SHA256(key=salt, msg=password)>` with a random 16-byte salt, which costs
microseconds instead of the tens of milliseconds of CPU that scrypt spent on every Web Connector sign-in
(that is, every poll).

Hashes written before are `scrypt$N$r$p$<base64 salt>$<base64 digest>`: they are still verified, so a
connection paired before keeps signing in until its password is renewed (nothing is rewritten on sign-in).
The parameters of such a record are checked before scrypt runs, so a corrupted record cannot make a sign-in
allocate gigabytes or spend seconds. Any missing, malformed or unknown hash fails without raising.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

API_KEY_PREFIX = "lbk_"
PASSWORD_PREFIX = "lbp_"  # noqa: S105  (a prefix, not a password)

SCHEME = "sha256"
SALT_BYTES = 16
_DIGEST_BYTES = 32
_DUMMY_SALT = b"\0" * SALT_BYTES

# The older scheme, only ever verified. Its hashes were written with N=2**14, r=8, p=1, dklen=32: 16 MiB and
# N*r*p = 2**17. A record asking for more than these bounds is corrupt and fails without running scrypt: the
# work N*r*p is at most 4 times the old one (~0.3 s at worst) and the memory (128*N*r bytes) at most 64 MiB.
_SCRYPT_MAX_N = 2**20
_SCRYPT_MAX_WORK = 2**19
_SCRYPT_MAX_R_TIMES_P = 64  # 128*r*p bytes go through PBKDF2: a huge p alone costs seconds
_SCRYPT_MAXMEM = 65 * 1024 * 1024  # 64 MiB for N*r <= 2**19, plus p*128*r bytes of slack
_SCRYPT_DKLEN = (16, 64)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(api_key_hash(key), stored_hash)


def new_password() -> str:
    """A Web Connector password: 160 bits, URL-safe so it can be pasted anywhere."""
    return PASSWORD_PREFIX + secrets.token_urlsafe(20)


def _sha256_digest(secret: bytes, salt: bytes) -> bytes:
    return hmac.new(salt, secret, hashlib.sha256).digest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`sha256$<base64 salt>$<base64 HMAC-SHA256(salt, password)>`; a random 16-byte salt unless given."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    if len(salt) != SALT_BYTES:
        raise ValueError(f"the salt must be {SALT_BYTES} bytes")
    digest = _sha256_digest(password.encode("utf-8"), salt)
    enc = base64.b64encode
    return f"{SCHEME}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored` (either scheme); never raises.

    A missing, malformed or unknown hash does the work of a check against a dummy salt and fails."""
    # never raises; a password with lone surrogates matches nothing (hash_password refuses to hash it)
    secret = password.encode("utf-8", "surrogatepass")
    if stored:
        fields = stored.split("$")
        if fields[0] == SCHEME and len(fields) == 3:
            checked = _check_sha256(secret, fields[1], fields[2])
            if checked is not None:
                return checked
        elif fields[0] == "scrypt" and len(fields) == 6:
            checked = _check_scrypt(secret, *fields[1:])
            if checked is not None:
                return checked
    hmac.compare_digest(_sha256_digest(secret, _DUMMY_SALT), b"\0" * _DIGEST_BYTES)
    return False


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except ValueError:  # binascii.Error (bad base64) and UnicodeEncodeError (non-ASCII) are ValueErrors
        return None


def _positive_int(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if value > 0 else None


def _check_sha256(secret: bytes, salt_b64: str, digest_b64: str) -> bool | None:
    """The comparison, or None when the fields are malformed."""
    salt, expected = _b64(salt_b64), _b64(digest_b64)
    if salt is None or expected is None or len(salt) != SALT_BYTES or len(expected) != _DIGEST_BYTES:
        return None
    return hmac.compare_digest(_sha256_digest(secret, salt), expected)


def _check_scrypt(
    secret: bytes, n_text: str, r_text: str, p_text: str, salt_b64: str, digest_b64: str
) -> bool | None:
    """The comparison for an older scrypt hash, or None when it is malformed or asks for absurd work."""
    n, r, p = _positive_int(n_text), _positive_int(r_text), _positive_int(p_text)
    salt, expected = _b64(salt_b64), _b64(digest_b64)
    if n is None or r is None or p is None or salt is None or expected is None:
        return None
    if n < 2 or n > _SCRYPT_MAX_N or n & (n - 1):  # a power of two, at most 2**20
        return None
    if n * r * p > _SCRYPT_MAX_WORK or r * p > _SCRYPT_MAX_R_TIMES_P:
        return None
    if not _SCRYPT_DKLEN[0] <= len(expected) <= _SCRYPT_DKLEN[1]:
        return None
    try:
        actual = hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except (ValueError, OverflowError, MemoryError):
        return None
    return hmac.compare_digest(actual, expected)
