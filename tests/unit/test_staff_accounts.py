"""Staff accounts: proper password hashes, refusals, lock-out after repeated failures."""
from datetime import datetime, timedelta

import pytest

from knowledge.staff import MAX_FAILURES, AccountError, add_user, authenticate, check_password, hash_password


def test_passwords_are_salted_scrypt_hashes():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("scrypt$") and a != b  # salted
    assert check_password("correct horse", a) and not check_password("wrong horse", a)
    assert "correct horse" not in a


def test_weak_or_duplicate_accounts_are_refused(db):
    with pytest.raises(AccountError):
        add_user(db, "short", "staff", "123")
    with pytest.raises(AccountError):
        add_user(db, "role", "superuser", "long enough password")
    add_user(db, "once", "staff", "long enough password")
    with pytest.raises(AccountError):
        add_user(db, "once", "staff", "another long password")


def test_repeated_failures_lock_the_account(db):
    add_user(db, "locky", "staff", "the right password")
    now = datetime(2026, 11, 28, 12, 0)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AccountError):
            authenticate(db, "locky", "a wrong password", now=now)
    with pytest.raises(AccountError, match="锁定"):
        authenticate(db, "locky", "the right password", now=now)
    assert authenticate(db, "locky", "the right password", now=now + timedelta(minutes=16)).name == "locky"


def test_unknown_user_and_wrong_password_get_the_same_answer(db):
    add_user(db, "same", "staff", "the right password")
    with pytest.raises(AccountError) as unknown:
        authenticate(db, "nobody", "whatever password")
    with pytest.raises(AccountError) as wrong:
        authenticate(db, "same", "whatever password")
    assert str(unknown.value) == str(wrong.value)
