"""Staff accounts: argon2id hashes (old scrypt ones upgraded), refusals, lock-out after repeated
failures that survives a rolled-back request, limits per address, sessions that end."""
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from knowledge import models
from knowledge.staff import (
    ADDRESS_FAILURES,
    MAX_FAILURES,
    SESSION_IDLE,
    SESSION_MAX_AGE,
    AccountError,
    add_user,
    authenticate,
    check_password,
    current_session,
    end_session,
    hash_password,
    set_active,
    set_role,
    start_session,
)

NOW = datetime(2026, 11, 28, 12, 0)


def _name() -> str:
    return "u-" + uuid.uuid4().hex[:8]


def test_passwords_are_salted_argon2id_hashes():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("$argon2id$") and a != b  # salted
    assert check_password("correct horse", a) and not check_password("wrong horse", a)
    assert "correct horse" not in a
    assert not check_password("correct horse", "not a hash at all")


def test_weak_or_duplicate_accounts_are_refused(db):
    with pytest.raises(AccountError):
        add_user(db, _name(), "staff", "123")
    with pytest.raises(AccountError):
        add_user(db, _name(), "superuser", "long enough password")
    name = _name()
    add_user(db, name, "staff", "long enough password")
    with pytest.raises(AccountError):
        add_user(db, name, "staff", "another long password")


def test_repeated_failures_lock_the_account_even_when_the_caller_rolls_back(db):
    name = _name()
    add_user(db, name, "staff", "the right password")
    db.commit()
    for _ in range(MAX_FAILURES):
        with pytest.raises(AccountError):
            authenticate(db, name, "a wrong password", now=NOW)
        db.rollback()  # what the web request's session scope does with the error
    with pytest.raises(AccountError, match="锁定"):
        authenticate(db, name, "the right password", now=NOW)
    assert authenticate(db, name, "the right password", now=NOW + timedelta(minutes=16)).name == name


def test_unknown_user_and_wrong_password_get_the_same_answer(db):
    name = _name()
    add_user(db, name, "staff", "the right password")
    with pytest.raises(AccountError) as unknown:
        authenticate(db, "nobody-" + name, "whatever password", address="192.0.2.50")
    with pytest.raises(AccountError) as wrong:
        authenticate(db, name, "whatever password", address="192.0.2.50")
    assert str(unknown.value) == str(wrong.value)


def test_an_address_with_many_failures_waits_and_others_do_not(db):
    name, address = _name(), f"192.0.2.{uuid.uuid4().int % 200 + 1}"
    add_user(db, name, "staff", "the right password")
    for i in range(ADDRESS_FAILURES):
        with pytest.raises(AccountError):
            authenticate(db, f"guess-{i}", "x" * 12, address=address, now=NOW)
    with pytest.raises(AccountError, match="15分钟"):
        authenticate(db, name, "the right password", address=address, now=NOW)
    assert authenticate(db, name, "the right password", address="192.0.2.251", now=NOW).name == name
    later = NOW + timedelta(minutes=16)
    assert authenticate(db, name, "the right password", address=address, now=later).name == name


def test_sessions_end_when_idle_too_old_logged_out_disabled_or_demoted(db):
    name = _name()
    user = add_user(db, name, "admin", "the right password")
    token, _ = start_session(db, user, now=NOW)
    assert current_session(db, token, now=NOW + SESSION_IDLE - timedelta(minutes=1)) is not None
    assert current_session(db, token, now=NOW + SESSION_IDLE * 2 + timedelta(minutes=2)) is None  # idle
    token, _ = start_session(db, user, now=NOW)
    for minutes in range(0, int(SESSION_MAX_AGE.total_seconds() // 60), 20):  # busy all day
        assert current_session(db, token, now=NOW + timedelta(minutes=minutes)) is not None
    assert current_session(db, token, now=NOW + SESSION_MAX_AGE + timedelta(minutes=1)) is None
    token, _ = start_session(db, user)
    end_session(db, token)
    assert current_session(db, token) is None
    token, _ = start_session(db, user)
    set_role(db, name, "staff")
    assert current_session(db, token) is None
    token, _ = start_session(db, user)
    set_active(db, name, False)
    assert current_session(db, token) is None
    assert current_session(db, "forged-token") is None
    stored = db.execute(sa.select(models.StaffSession.token_hash)).scalars().all()
    assert token not in stored  # only hashes are kept
