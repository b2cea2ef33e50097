"""The demo's sign-in: its people keep the documented demo password (exempt from expiry), and the roles that
must have a second factor (center administrator, security) are enrolled with one published secret, so that
the demo — and the tests, which sign in as these roles all the time — go through the real second step.

Demo only: anyone reading the README can compute these codes. A real installation enrols each person's own
authenticator at their first sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from govdata import clock
from govdata.auth import totp
from govdata.auth.models import User
from govdata.orgs.demo import PEOPLE

if TYPE_CHECKING:
    from govdata.demo import DemoContext

# base32 of "govdata-demo-totp!!!"; add it to an authenticator app by hand to sign in as admin or security.
DEMO_TOTP_SECRET = "M5XXMZDBORQS2ZDFNVXS25DPORYCCIJB"


def seed(ctx: DemoContext) -> None:
    names = [username for username, _display, _unit, _roles in PEOPLE]
    with ctx.database.write() as db:
        for user in db.execute(select(User).where(User.username.in_(names))).scalars():
            user.password_expires = False
            if totp.is_required(user, ctx.settings) and not user.totp_secret:
                user.totp_secret = DEMO_TOTP_SECRET
                user.totp_enabled_at = clock.now()
