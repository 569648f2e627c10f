"""Staff accounts of the hotline console: scrypt password hashes, roles, lock-out."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from knowledge import clock, models

ROLES = ("staff", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_CHARS = 10
# scrypt cost: about 50 ms per check on one core, slow enough against guessing.
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A refused account operation, with a message fit for the operator."""


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored scrypt hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32,
                               n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def add_user(session: Session, name: str, role: str, password: str) -> models.StaffUser:
    """Create an account; no default password exists, the creator sets one."""
    name = name.strip()
    if not name:
        raise AccountError("用户名不能为空")
    if role not in ROLES:
        raise AccountError(f"角色只能是 {' / '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"密码至少{MIN_PASSWORD_CHARS}个字符")
    if session.execute(sa.select(models.StaffUser).where(models.StaffUser.name == name)).scalars().first():
        raise AccountError(f"用户 {name} 已存在")
    user = models.StaffUser(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str, now: Optional[datetime] = None) -> models.StaffUser:
    """The user, if the password is right and the account is not locked; failures are counted."""
    now = now or clock.utcnow()
    user = session.execute(sa.select(models.StaffUser).where(models.StaffUser.name == name.strip())).scalars().first()
    if user is None or not user.active:
        check_password(password, _dummy_hash())  # same cost whether or not the name exists
        raise AccountError("用户名或密码不对")
    if user.locked_until and user.locked_until > now:
        raise AccountError("登录失败次数过多，账号已暂时锁定，请稍后再试或联系管理员")
    if not check_password(password, user.password_hash):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        raise AccountError("用户名或密码不对")
    user.failed_logins = 0
    user.locked_until = None
    return user
