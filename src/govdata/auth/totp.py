"""The second factor of sign-in (等保 三级: two kinds of authentication for administrators): TOTP codes
(RFC 6238, 30-second steps, 6 digits, SHA-1 as every authenticator app uses) and ten one-time recovery codes.
No HTTP here.

A code is accepted one step either side of now (clock drift of a phone), and only for a step later than the
last one accepted for that person (`User.totp_last_step`): a code seen over a shoulder or replayed within its
window is refused. Attempts are rate-limited per account (`GOVDATA_TOTP_ATTEMPTS_PER_MINUTE`) and each
failure counts towards the account's lock-out like a wrong password. Recovery codes carry 50 random bits
each and are stored as sha256 hashes (no salt needed at that entropy; argon2 would cost a hash per code).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from govdata import clock, policy, ratelimit
from govdata.actor import Actor
from govdata.audit.service import acting, record
from govdata.auth.models import RecoveryCode, User, WebSession
from govdata.config import Settings
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.policy import Action

STEP_SECONDS = 30
DIGITS = 6
WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10
ISSUER = "政务数据共享平台"
_EPOCH = datetime(1970, 1, 1)
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class CodeCheck(StrEnum):
    OK = "ok"
    BAD = "bad_code"
    REPLAYED = "replayed_code"
    RECOVERY = "recovery_code"


REFUSED = {CodeCheck.BAD: "动态口令或恢复码不正确",
           CodeCheck.REPLAYED: "该动态口令已使用过，请等待验证器显示下一个口令"}


def required_roles(settings: Settings) -> frozenset[str]:
    return frozenset(part.strip() for part in settings.totp_required_roles.split(",") if part.strip())


def is_required(user: User, settings: Settings) -> bool:
    """The center administrator and the security roles (by default) may not sign in without a second factor."""
    return bool(required_roles(settings) & set(user.roles))


def is_enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def step_at(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    """The code an authenticator shows during `step` (for tests and the demo's documentation)."""
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step))


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.username, issuer_name=ISSUER)


def match_code(secret: str, last_step: int | None, code: str) -> tuple[CodeCheck, int | None]:
    """Whether `code` is valid now for `secret`: the step it belongs to, or why not."""
    now_step = step_at(clock.now())
    for step in range(now_step - WINDOW_STEPS, now_step + WINDOW_STEPS + 1):
        if hmac.compare_digest(code_for(secret, step), code):
            if last_step is not None and step <= last_step:
                return CodeCheck.REPLAYED, None
            return CodeCheck.OK, step
    return CodeCheck.BAD, None


def normalize(code: str) -> str:
    return "".join(code.split()).lower()


def recovery_hash(code: str) -> str:
    return hashlib.sha256(normalize(code).replace("-", "").encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def remaining_recovery_codes(db: Session, *, user_id: int) -> int:
    return int(db.execute(select(func.count()).select_from(RecoveryCode)
                          .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).scalar_one())


def _use_recovery_code(db: Session, user: User, code: str) -> bool:
    row = db.execute(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                RecoveryCode.code_hash == recovery_hash(code),
                                                RecoveryCode.used_at.is_(None))).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def check_second_factor(db: Session, settings: Settings, *, user: User, code: str, actor: Actor) -> CodeCheck:
    """One attempt at the second factor of a sign-in (a TOTP code or a recovery code), audited either way.

    A failure is returned, not raised, so that the caller commits its count and audit event."""
    ratelimit.hit(db, f"totp:{user.id}", limit=settings.totp_attempts_per_minute, window_seconds=60)
    text = normalize(code)
    result, step = CodeCheck.BAD, None
    if is_enrolled(user) and text:
        if text.isdigit() and len(text) == DIGITS:
            result, step = match_code(user.totp_secret or "", user.totp_last_step, text)
        elif _use_recovery_code(db, user, text):
            result = CodeCheck.RECOVERY
    if result in (CodeCheck.OK, CodeCheck.RECOVERY):
        if step is not None:
            user.totp_last_step = step
        user.failed_logins = 0
        details = {"step": "second_factor", "factor": "totp" if result is CodeCheck.OK else "recovery_code"}
        if result is CodeCheck.RECOVERY:
            details["recovery_codes_left"] = str(remaining_recovery_codes(db, user_id=user.id))
        record(db, actor, Action.AUTH_LOGIN, target=user, details=details)
        return result
    user.failed_logins += 1
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = clock.now() + timedelta(minutes=settings.login_lock_minutes)
        user.failed_logins = 0
    record(db, actor, Action.AUTH_LOGIN, target=user, outcome="denied",
           details={"step": "second_factor", "reason": result.value})
    return result


def begin_enrolment(db: Session, actor: Actor, *, user: User) -> str:
    """A fresh secret to show the person (not in use until a code from it is confirmed)."""
    policy.require(actor, Action.USER_SELF, user)
    if is_enrolled(user):
        raise Conflict("已启用动态口令；如需更换，请联系大数据中心重置", field="code")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.flush()
    return user.totp_secret


def confirm_enrolment(db: Session, actor: Actor, *, user: User, code: str) -> list[str]:
    """Turn the factor on with a first valid code; the ten recovery codes are returned once, stored hashed."""
    with acting(db, actor, Action.USER_SELF, target=user) as audit:
        if is_enrolled(user):
            raise Conflict("已启用动态口令", field="code")
        if not user.totp_secret:
            raise RuleViolation("请先打开绑定页面获取密钥", field="code")
        text = normalize(code)
        if not (text.isdigit() and len(text) == DIGITS):
            raise RuleViolation("请输入验证器显示的 6 位数字", field="code")
        result, step = match_code(user.totp_secret, None, text)
        if result is not CodeCheck.OK:
            raise RuleViolation("动态口令不正确，请核对手机时间后输入当前显示的 6 位数字", field="code")
        user.totp_enabled_at = clock.now()
        user.totp_last_step = step
        codes = _replace_recovery_codes(db, user)
        audit.details = {"op": "totp_enrol", "username": user.username, "recovery_codes": len(codes)}
    return codes


def _replace_recovery_codes(db: Session, user: User) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = new_recovery_codes()
    db.add_all(RecoveryCode(user_id=user.id, code_hash=recovery_hash(c)) for c in codes)
    db.flush()
    return codes


def regenerate_recovery_codes(db: Session, actor: Actor, *, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    with acting(db, actor, Action.USER_SELF, target=user) as audit:
        if not is_enrolled(user):
            raise RuleViolation("尚未启用动态口令", field="code")
        codes = _replace_recovery_codes(db, user)
        audit.details = {"op": "totp_recovery_codes", "username": user.username}
    return codes


def reset_factor(db: Session, actor: Actor, *, user_id: int, reason: str) -> User:
    """The center turns off the factor of a person who lost it (with the reason); the person is signed out
    everywhere and, in a role that requires it, enrols again at the next sign-in."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", field="user_id")
    with acting(db, actor, Action.USER_MANAGE, target=user) as audit:
        reason = reason.strip()
        if len(reason) < 4:
            raise RuleViolation("请写明重置原因（至少 4 个字）", field="reason")
        if not user.totp_secret:
            raise RuleViolation("该用户未启用动态口令，无需重置", field="user_id")
        audit.details = {"op": "totp_reset", "username": user.username, "reason": reason[:500],
                         "was_enabled": user.totp_enabled_at is not None}
        user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
        db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user
