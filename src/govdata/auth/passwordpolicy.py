"""The password policy of 等保 三级 (GB/T 22239-2019 8.1.4.1 身份鉴别): length, character classes, no reuse of
the last few passwords, and expiry. No HTTP here.

The rules apply to every password set from now on (user creation, change, reset by the center). A password
already stored is not re-judged, it only expires: the demo's accounts, whose shared password is documented
in the README and does not meet the rules, are marked as never expiring (`User.password_expires`), so that
the demo and its tests keep signing in with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.auth import passwords
from govdata.auth.models import PasswordHistory, User
from govdata.config import Settings
from govdata.errors import RuleViolation

CLASS_NAMES = ("大写字母", "小写字母", "数字", "符号")


@dataclass(frozen=True)
class PasswordRules:
    min_length: int = 12
    min_classes: int = 3
    history: int = 5
    expiry_days: int = 90

    @classmethod
    def of(cls, settings: Settings) -> PasswordRules:
        return cls(settings.password_min_length, settings.password_min_classes, settings.password_history,
                   settings.password_expiry_days)

    def hint(self) -> str:
        """The rules in one line, shown beside every field where a new password is typed."""
        text = f"至少 {self.min_length} 位，包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类"
        if self.history:
            text += f"，不能与最近 {self.history} 次用过的密码相同"
        return text


def classes_of(password: str) -> int:
    """How many of the four classes (upper, lower, digit, symbol) the password uses."""
    found = [any(c.isupper() for c in password), any(c.islower() for c in password),
             any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    return sum(found)


def shape_problem(rules: PasswordRules, *, password: str, username: str) -> str | None:
    """What is wrong with the password itself (no history needed), so a form can show it with its other errors."""
    if len(password) < rules.min_length:
        return f"密码至少 {rules.min_length} 位（现为 {len(password)} 位）"
    if classes_of(password) < rules.min_classes:
        return f"密码须包含{'、'.join(CLASS_NAMES)}中的至少 {rules.min_classes} 类"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名"
    return None


def check_new_password(db: Session, rules: PasswordRules, *, password: str, username: str,
                       user: User | None = None, field: str = "password") -> None:
    """Raise `RuleViolation` on `field` (in Chinese) when `password` may not be set for this person."""
    problem = shape_problem(rules, password=password, username=username)
    if problem:
        raise RuleViolation(problem, field=field)
    if user is not None and rules.history and _used_before(db, rules, user, password):
        raise RuleViolation(f"不能使用最近 {rules.history} 次用过的密码", field=field)


def _used_before(db: Session, rules: PasswordRules, user: User, password: str) -> bool:
    """The current password and the history's latest ones (argon2: each check costs a hash, so at most N)."""
    hashes = [user.password_hash] + recent_hashes(db, user_id=user.id, limit=rules.history)
    return any(passwords.verify_password(password, h) for h in list(dict.fromkeys(hashes))[:rules.history])


def recent_hashes(db: Session, *, user_id: int, limit: int) -> list[str]:
    rows = db.execute(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
                      .order_by(PasswordHistory.id.desc()).limit(limit))
    return list(rows.scalars())


def store_password(db: Session, rules: PasswordRules, *, user: User, password: str) -> None:
    """Set a checked password: the hash on the account, its change time, and the history (kept to N rows)."""
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    user.password_expires = True
    if user.id is None:
        db.flush()
    db.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    db.flush()
    keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id) \
        .order_by(PasswordHistory.id.desc()).limit(max(rules.history, 1))
    db.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                             PasswordHistory.id.not_in(keep)))


def is_expired(user: User, rules: PasswordRules) -> bool:
    """Whether the person must change the password before anything else (0 days: passwords never expire)."""
    if not rules.expiry_days or not user.password_expires:
        return False
    changed = user.password_changed_at or user.created_at
    return changed + timedelta(days=rules.expiry_days) <= clock.now()
