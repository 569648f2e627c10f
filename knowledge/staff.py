"""Staff accounts of the hotline console: argon2id password hashes, roles, lock-out,
limits per address, server-side sessions and the login history.

Every failed login is committed at once (in its own transaction), whatever the
caller does next, so the lock-out cannot be undone by a rolled-back request.
Sessions live in the database: logging out, disabling, demoting or deleting an
account ends them immediately, and an idle session ends by itself.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import List, Optional, Tuple

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from knowledge import clock, models

ROLES = ("staff", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
# Failed logins from one address within the window before it must wait (whatever the names tried).
ADDRESS_FAILURES = 10
ADDRESS_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_CHARS = 10
SESSION_MAX_AGE = timedelta(hours=8)
SESSION_IDLE = timedelta(minutes=30)
# A session's last_seen is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(seconds=60)

# argon2id with the library's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes).
_HASHER = PasswordHasher()


class AccountError(ValueError):
    """A refused account operation, with a message fit for the operator."""


def hash_password(password: str) -> str:
    """An argon2id hash (salted, parameters inside the string)."""
    return _HASHER.hash(password)


def _check_scrypt(password: str, stored: str) -> bool:
    """Hashes written before argon2 (``scrypt$n$r$p$salt$hash``)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32,
                                   n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def check_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored argon2id (or older scrypt) hash."""
    if stored.startswith("scrypt$"):
        return _check_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for an old scrypt hash or argon2 parameters weaker than today's."""
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def _user(session: Session, name: str) -> Optional[models.StaffUser]:
    return session.execute(sa.select(models.StaffUser).where(models.StaffUser.name == name.strip())).scalars().first()


def get_user(session: Session, name: str) -> models.StaffUser:
    """The account called ``name``, or :class:`AccountError`."""
    user = _user(session, name)
    if user is None:
        raise AccountError(f"没有用户 {name}")
    return user


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"密码至少{MIN_PASSWORD_CHARS}个字符")


def add_user(session: Session, name: str, role: str, password: str) -> models.StaffUser:
    """Create an account; no default password exists, the creator sets one."""
    name = name.strip()
    if not name:
        raise AccountError("用户名不能为空")
    if role not in ROLES:
        raise AccountError(f"角色只能是 {' / '.join(ROLES)}")
    _check_new_password(password)
    if _user(session, name):
        raise AccountError(f"用户 {name} 已存在")
    user = models.StaffUser(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def _log_attempt(session: Session, name: str, address: Optional[str], success: bool, reason: Optional[str],
                 now: datetime) -> None:
    session.add(models.LoginEvent(at=now, name=name.strip()[:80], address=(address or "")[:64] or None,
                                  success=success, reason=reason))


def address_limited(session: Session, address: Optional[str], now: Optional[datetime] = None) -> bool:
    """True when ``address`` has failed too often lately (ADDRESS_FAILURES within ADDRESS_WINDOW)."""
    if not address:
        return False
    now = now or clock.utcnow()
    E = models.LoginEvent
    failures = session.execute(
        sa.select(sa.func.count()).select_from(E)
        .where(E.address == address[:64], E.success.is_(False), E.at > now - ADDRESS_WINDOW)
    ).scalar_one()
    return bool(failures >= ADDRESS_FAILURES)


def authenticate(session: Session, name: str, password: str, address: Optional[str] = None,
                 now: Optional[datetime] = None) -> models.StaffUser:
    """The user, if the password is right and neither the account nor the address is locked.

    Every attempt is recorded; a failure is committed before :class:`AccountError` is raised.
    """
    now = now or clock.utcnow()

    def fail(reason: str, message: str) -> AccountError:
        _log_attempt(session, name, address, False, reason, now)
        session.commit()
        return AccountError(message)

    if address_limited(session, address, now):
        raise fail("rate_limited", "这个地址登录失败次数过多，请15分钟后再试")
    user = _user(session, name)
    if user is None or not user.active:
        check_password(password, _dummy_hash())  # same cost whether or not the name exists
        raise fail("unknown" if user is None else "disabled", "用户名或密码不对")
    if user.locked_until and user.locked_until > now:
        raise fail("locked", "登录失败次数过多，账号已暂时锁定，请稍后再试或联系管理员")
    if not check_password(password, user.password_hash):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        raise fail("password", "用户名或密码不对")
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # old scrypt (or weaker) hashes move to argon2id
    _log_attempt(session, name, address, True, None, now)
    return user


# -- sessions -----------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: models.StaffUser, address: Optional[str] = None,
                  now: Optional[datetime] = None) -> Tuple[str, models.StaffSession]:
    """A new session for ``user``: the token for the browser, and the stored row."""
    now = now or clock.utcnow()
    token = secrets.token_urlsafe(32)
    row = models.StaffSession(token_hash=_token_hash(token), user_id=user.id, csrf=secrets.token_urlsafe(24),
                              created_at=now, last_seen=now, address=(address or "")[:64] or None)
    session.add(row)
    session.flush()
    return token, row


def current_session(session: Session, token: Optional[str],
                    now: Optional[datetime] = None) -> Optional[models.StaffSession]:
    """The live session for ``token``: not ended, not idle too long, not too old, its account active."""
    if not token or len(token) > 200:
        return None
    now = now or clock.utcnow()
    row = session.execute(
        sa.select(models.StaffSession).where(models.StaffSession.token_hash == _token_hash(token))
    ).scalars().first()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen > SESSION_IDLE or now - row.created_at > SESSION_MAX_AGE or not row.user.active:
        row.ended_at = now
        return None
    if now - row.last_seen > TOUCH_EVERY:
        row.last_seen = now
    return row


def end_session(session: Session, token: Optional[str], now: Optional[datetime] = None) -> None:
    """Log out: the session's token no longer opens anything."""
    row = current_session(session, token, now)
    if row is not None:
        row.ended_at = now or clock.utcnow()


def end_sessions_of(session: Session, user: models.StaffUser, now: Optional[datetime] = None) -> int:
    """End every open session of ``user``; returns how many."""
    now = now or clock.utcnow()
    rows = session.execute(sa.select(models.StaffSession).where(
        models.StaffSession.user_id == user.id, models.StaffSession.ended_at.is_(None))).scalars().all()
    for row in rows:
        row.ended_at = now
    return len(rows)


# -- account administration ---------------------------------------------------------------

@dataclass(frozen=True)
class AccountView:
    """What the account list shows."""

    name: str
    role: str
    active: bool
    locked: bool
    created_at: datetime
    last_login: Optional[datetime]


def list_users(session: Session, now: Optional[datetime] = None) -> List[AccountView]:
    """Every account, with its last successful login."""
    now = now or clock.utcnow()
    E = models.LoginEvent
    last = dict(session.execute(sa.select(E.name, sa.func.max(E.at)).where(E.success.is_(True)).group_by(E.name)).all())
    users = session.execute(sa.select(models.StaffUser).order_by(models.StaffUser.name)).scalars().all()
    return [AccountView(u.name, u.role, bool(u.active), bool(u.locked_until and u.locked_until > now), u.created_at,
                        last.get(u.name)) for u in users]


def set_active(session: Session, name: str, active: bool) -> models.StaffUser:
    """Enable or disable an account; disabling ends its sessions at once."""
    user = get_user(session, name)
    user.active = active
    if not active:
        end_sessions_of(session, user)
    else:
        user.failed_logins, user.locked_until = 0, None
    return user


def set_role(session: Session, name: str, role: str) -> models.StaffUser:
    """Change an account's role; its open sessions end (they were granted under the old role)."""
    if role not in ROLES:
        raise AccountError(f"角色只能是 {' / '.join(ROLES)}")
    user = get_user(session, name)
    if user.role != role:
        user.role = role
        end_sessions_of(session, user)
    return user


def reset_password(session: Session, name: str, password: str) -> models.StaffUser:
    """Set a new password (and unlock); the account's sessions end."""
    _check_new_password(password)
    user = get_user(session, name)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    end_sessions_of(session, user)
    return user


def delete_user(session: Session, name: str) -> None:
    """Remove an account and its sessions. Cases and their history keep the name they were written with."""
    user = get_user(session, name)
    end_sessions_of(session, user)
    session.execute(sa.delete(models.StaffSession).where(models.StaffSession.user_id == user.id))
    session.delete(user)


ACCOUNT_CHANGES = ("enable", "disable", "role", "reset-password", "delete")


def change_account(session: Session, actor: str, name: str, change: str, role: Optional[str] = None,
                   password: Optional[str] = None) -> None:
    """Apply one account change (``ACCOUNT_CHANGES``) and record who made it in the audit log.

    An administrator cannot disable, demote or delete their own account from the console
    (``actor`` equal to ``name``): that is how the last administrator locks everyone out.
    """
    if change not in ACCOUNT_CHANGES:
        raise AccountError(f"未知操作：{change}")
    if actor == name and change in ("disable", "delete") or (actor == name and change == "role" and role != "admin"):
        raise AccountError("不能停用、删除或降低自己的账号；请另一位管理员操作。")
    before = get_user(session, name)
    old = {"role": before.role, "active": bool(before.active)}
    if change in ("enable", "disable"):
        set_active(session, name, change == "enable")
    elif change == "role":
        set_role(session, name, role or "")
    elif change == "reset-password":
        reset_password(session, name, password or "")
    else:
        delete_user(session, name)
    after = None if change == "delete" else {"role": before.role, "active": bool(before.active)}
    session.add(models.AuditEntry(actor=actor, entity="staff_user", entity_id=name, action=change, before=old,
                                  after=after))


def login_history(session: Session, name: Optional[str] = None, limit: int = 100) -> List[models.LoginEvent]:
    """The latest login attempts (of one account when ``name`` is given), newest first."""
    E = models.LoginEvent
    query = sa.select(E).order_by(E.id.desc()).limit(limit)
    if name:
        query = query.where(E.name == name)
    return list(session.execute(query).scalars())
