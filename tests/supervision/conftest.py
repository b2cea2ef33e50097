"""Fixtures the supervision tests share: bearer headers for a demo account, issued on each module's `pinned` clock."""

from __future__ import annotations

import pytest

from govdata.auth.service import find_user_by_name, issue_user_token


@pytest.fixture
def pinned():
    """No pinned clock; a module that needs one defines its own `pinned`, which `as_user` then issues on."""
    return None


@pytest.fixture
def as_user(database, settings, pinned):
    """`as_user("bureau")` → bearer headers for a demo account, issued without the slow password check."""
    def issue(username: str) -> dict[str, str]:
        with database.write() as db:
            user = find_user_by_name(db, username=username)
            assert user is not None
            return {"Authorization": f"Bearer {issue_user_token(db, settings, user=user)}"}
    return issue
