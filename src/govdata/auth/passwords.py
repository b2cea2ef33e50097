"""Password hashing with argon2 (pwdlib); a dummy verify keeps timing equal for unknown users."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 8
# Argon2id at pwdlib's defaults: 64 MiB, 3 passes, 4 lanes (about 150 ms a hash on a 2-core server). A hash keeps
# its own parameters, so one made at another cost still verifies, at its own cost.
_cost = {"memory_cost": 65536, "time_cost": 3, "parallelism": 4}


def use_cost(*, memory_kib: int, passes: int, lanes: int) -> None:
    """Hash new passwords at this cost from now on. Only the test suite lowers it: it signs people in thousands
    of times, and it is the hashing's cost, not its outcome, that it would otherwise be measuring."""
    _cost.update(memory_cost=memory_kib, time_cost=passes, parallelism=lanes)
    _hasher.cache_clear()
    _dummy_hash.cache_clear()


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=_cost["time_cost"], memory_cost=_cost["memory_cost"],
                                      parallelism=_cost["parallelism"]),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash never signs anyone in
        return False
