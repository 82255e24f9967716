"""Web Connector password hashes: the salted HMAC-SHA256 scheme written now, the scrypt hashes written before
(still verified), and stored hashes that are missing, malformed or corrupt (False, never an exception, never
an absurd amount of work)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import credentials
from chalicelib.credentials import PASSWORD_PREFIX, hash_password, new_password, verify_password

b64 = base64.b64encode

# Shaped like new_password(): the prefix and 20 random bytes, URL-safe base64 without padding.
generated = st.binary(min_size=20, max_size=20).map(
    lambda raw: PASSWORD_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
)
passwords = st.one_of(generated, st.text(max_size=64))
salts = st.binary(min_size=16, max_size=16)


def old_scrypt_hash(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = 32) -> str:
    """A hash exactly as the scrypt version of hash_password wrote it."""
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen)
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def test_a_new_password_verifies_against_its_hash_and_is_stored_with_the_sha256_scheme() -> None:
    password = new_password()
    stored = hash_password(password)
    scheme, salt_b64, digest_b64 = stored.split("$")
    salt = base64.b64decode(salt_b64, validate=True)
    assert scheme == "sha256" and len(salt) == 16 and password not in stored
    assert base64.b64decode(digest_b64, validate=True) == hmac.digest(salt, password.encode(), "sha256")
    assert verify_password(password, stored)
    assert not verify_password(new_password(), stored)


@settings(max_examples=200)
@given(password=passwords, other=passwords, salt=salts)
def test_a_password_verifies_against_its_own_hash_and_not_against_another(
    password: str, other: str, salt: bytes
) -> None:
    mine, theirs = hash_password(password), hash_password(other, salt=salt)
    assert verify_password(password, mine)
    assert verify_password(other, theirs)
    assert verify_password(password, theirs) == (password == other)
    assert verify_password(other, mine) == (password == other)


@settings(max_examples=100)
@given(password=passwords, salt=salts)
def test_the_hash_is_a_pure_function_of_password_and_salt(password: str, salt: bytes) -> None:
    stored = hash_password(password, salt=salt)
    assert stored == hash_password(password, salt=salt)
    assert stored.split("$")[1] == b64(salt).decode()
    digest = hmac.digest(salt, password.encode("utf-8"), "sha256")
    assert stored == f"sha256${b64(salt).decode()}${b64(digest).decode()}"


@settings(max_examples=100)
@given(password=passwords)
def test_hashes_of_the_same_password_differ(password: str) -> None:
    first, second = hash_password(password), hash_password(password)
    assert first != second and first.split("$")[1] != second.split("$")[1]
    assert verify_password(password, first) and verify_password(password, second)


def test_a_salt_of_the_wrong_size_is_refused() -> None:
    for salt in (b"", b"\0" * 15, b"\0" * 17):
        with pytest.raises(ValueError, match="16 bytes"):
            hash_password("x", salt=salt)


def test_a_hash_written_by_the_scrypt_version_still_verifies() -> None:
    # The parameters hash_password used before: a connection paired then keeps signing in.
    password = new_password()
    stored = old_scrypt_hash(password, b"\x07" * 16, n=2**14, r=8, p=1)
    assert verify_password(password, stored)
    assert not verify_password(new_password(), stored)


@settings(max_examples=100, deadline=None)
@given(
    password=passwords,
    wrong=passwords,
    salt=st.binary(min_size=0, max_size=32),
    n=st.sampled_from([2, 4, 8, 16]),
    r=st.integers(1, 8),
    p=st.integers(1, 2),
    dklen=st.integers(16, 64),
)
def test_old_scrypt_hashes_verify_with_the_right_password_only(
    password: str, wrong: str, salt: bytes, n: int, r: int, p: int, dklen: int
) -> None:
    stored = old_scrypt_hash(password, salt, n, r, p, dklen)
    assert verify_password(password, stored)
    assert verify_password(wrong, stored) == (wrong == password)


def test_a_missing_hash_does_the_work_of_a_real_check(monkeypatch: pytest.MonkeyPatch) -> None:
    digests: list[bytes] = []
    real = credentials._sha256_digest

    def counting(secret: bytes, salt: bytes) -> bytes:
        digests.append(salt)
        return real(secret, salt)

    monkeypatch.setattr(credentials, "_sha256_digest", counting)
    stored = hash_password("pw")
    digests.clear()
    assert verify_password("pw", stored)
    assert len(digests) == 1
    for missing in (None, ""):
        digests.clear()
        assert not verify_password("pw", missing)
        assert digests == [b"\0" * 16]


# A fixed salt: the parameter ids must be the same in every pytest-xdist worker.
GOOD = hash_password("pw", salt=b"\x01" * 16)
_, GOOD_SALT, GOOD_DIGEST = GOOD.split("$")
OLD = old_scrypt_hash("pw", b"\x01" * 16, n=16, r=1, p=1)
_, _, _, _, OLD_SALT, OLD_DIGEST = OLD.split("$")


def test_the_hashes_the_malformed_ones_are_made_from_verify() -> None:
    assert verify_password("pw", GOOD) and verify_password("pw", OLD)


MALFORMED = [
    "sha256",
    "sha256$",
    "sha256$$",
    "sha256$$$",
    "sha256$!!!!$AAAA",
    "SHA256" + GOOD[6:],
    GOOD + "$",
    "$" + GOOD,
    GOOD.replace("=", ""),  # base64 without its padding
    GOOD[:-8] + "=",  # digest cut short
    f"sha256${b64(bytes(15)).decode()}${GOOD_DIGEST}",  # 15-byte salt
    f"sha256${GOOD_SALT}$é{GOOD_DIGEST}",
    OLD.rsplit("$", 1)[0],
    OLD + "$",
    OLD.replace("scrypt", "Scrypt"),
    # each field of the right hash, spelled so that int() or b64decode() would still accept it
    *(
        f"scrypt${n}$1$1${OLD_SALT}${OLD_DIGEST}"
        for n in ("x", "-16", "16.0", " 16", "16 ", "+16", "1_6", "١٦")
    ),
    f"scrypt$16$1$1.0${OLD_SALT}${OLD_DIGEST}",
    f"scrypt$16$0$1${OLD_SALT}${OLD_DIGEST}",
    f"scrypt$16$1$0${OLD_SALT}${OLD_DIGEST}",
    f"scrypt$16$1$1${OLD_SALT}$ {OLD_DIGEST}",
    f"scrypt$16$1$1${OLD_SALT[:-2]}${OLD_DIGEST}",
    f"scrypt$16$1$1${OLD_SALT}${OLD_DIGEST[:8]}",  # 6 bytes: too short a digest
    f"scrypt$16$1$1${OLD_SALT}$",
    f"scrypt$99999999999999999999999999$8$1${OLD_SALT}${OLD_DIGEST}",
    "bcrypt$2b$12$" + "A" * 53,
    "plain text",
    "$$$$$",
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_malformed_hashes_fail_without_raising(stored: str) -> None:
    assert verify_password("pw", stored) is False


@settings(max_examples=300)
@given(stored=st.text(), password=passwords)
def test_any_text_as_the_stored_hash_fails_without_raising(stored: str, password: str) -> None:
    assert verify_password(password, stored) is False


number_text = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    st.sampled_from(["0", "1", "2", "16", "16384", "1073741824", "2e4", "", " 8", "8 ", "0x10"]),
    st.text(max_size=6),
)
base64_text = st.one_of(st.binary(max_size=70).map(lambda b: b64(b).decode()), st.text(max_size=12))


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["scrypt", "sha256", "", "md5"]) | st.text(max_size=8),
    numbers=st.lists(number_text, max_size=4),
    encoded=st.lists(base64_text, max_size=3),
    password=passwords,
)
def test_dollar_joined_fields_fail_without_raising(
    scheme: str, numbers: list[str], encoded: list[str], password: str
) -> None:
    stored = "$".join([scheme, *numbers, *encoded])
    started = time.monotonic()
    assert verify_password(password, stored) is False
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("n", "r", "p"),
    [
        (2**30, 8, 1),
        (2**21, 1, 1),
        (2**20, 8, 1),
        (2**17, 8, 1),
        (2**14, 8, 5),
        (2**14, 2**20, 1),
        (2, 1, 2**40),
    ],
)
def test_a_corrupt_scrypt_record_asking_for_absurd_work_fails_at_once(n: int, r: int, p: int) -> None:
    stored = f"scrypt${n}${r}${p}${b64(b'salt' * 4).decode()}${b64(b'd' * 32).decode()}"
    started = time.monotonic()
    assert verify_password("pw", stored) is False
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(("n", "r", "p"), [(2, 1, 65), (2, 65, 1), (2**14, 8, 5), (2**16, 2, 5)])
def test_an_old_hash_with_parameters_out_of_bounds_fails_even_with_the_right_password(
    n: int, r: int, p: int
) -> None:
    # The digest is right (hashlib accepts these parameters), so only the bounds on a record refuse it: r*p
    # over 64, or N*r*p over 2**19 (four times the work of the hashes the scrypt version wrote).
    stored = old_scrypt_hash("pw", b"salt" * 4, n=n, r=r, p=p)
    assert verify_password("pw", stored) is False


@pytest.mark.parametrize(("n", "r", "p"), [(2, 1, 64), (2, 64, 1), (2**4, 8, 4), (2**14, 8, 4)])
def test_an_old_hash_at_the_bounds_still_verifies(n: int, r: int, p: int) -> None:
    stored = old_scrypt_hash("pw", b"salt" * 4, n=n, r=r, p=p)
    assert verify_password("pw", stored) is True


def test_a_password_that_cannot_be_encoded_fails_without_raising() -> None:
    stored = hash_password("pw")
    for password in ("\ud800", "pw\udfff"):
        assert verify_password(password, stored) is False
        assert verify_password(password, None) is False
        assert verify_password(password, old_scrypt_hash("pw", b"s" * 16, n=16, r=1, p=1)) is False
