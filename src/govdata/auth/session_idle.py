"""Idle timeout of page sessions (等保 三级: 登录连接超时自动退出). A session that no page used for
`GOVDATA_SESSION_IDLE_MINUTES` no longer signs anyone in; the next page asks to sign in again and says why.

Use is recorded at most once a minute per session (`TOUCH_SECONDS`), in its own short write after the session
was read, so that reading pages does not turn every GET into a write; the timeout is therefore exact to
within that minute. Bearer tokens (the API) have their own lifetime and are not affected.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update

from govdata import clock
from govdata.auth.models import WebSession
from govdata.config import Settings
from govdata.storage.engines import Database

IDLE_MESSAGE = "长时间未操作，请重新登录"
TOUCH_SECONDS = 60


def is_idle(session: WebSession, settings: Settings) -> bool:
    last = session.last_seen_at or session.created_at
    return last + timedelta(minutes=settings.session_idle_minutes) <= clock.now()


def touch(database: Database, session: WebSession) -> None:
    """Note that the session was used now (unless that was noted in the last minute)."""
    now = clock.now()
    threshold = now - timedelta(seconds=TOUCH_SECONDS)
    last = session.last_seen_at or session.created_at
    if last > threshold:
        return
    with database.write() as db:
        db.execute(update(WebSession).where(WebSession.id == session.id,
                                            or_(WebSession.last_seen_at.is_(None),
                                                WebSession.last_seen_at <= threshold))
                   .values(last_seen_at=now))
