"""Open data's hooks: errors under the CKAN Action API's paths take CKAN's envelope; a public account's
authorisations to 授权开放 data are loaded for each of its requests (the policy decides on them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from govdata import hooks
from govdata.actor import OpenAccess
from govdata.opendata.applications import access_of
from govdata.opendata.ckan_api import PREFIXES

TYPES = {401: "Authorization Error", 403: "Authorization Error", 404: "Not Found Error", 409: "Validation Error",
         422: "Validation Error", 400: "Bad Request", 429: "Rate Limit Error"}


@hooks.register_error_shape(*PREFIXES)
def ckan_error(status: int, code: str, message: str, field: str | None) -> tuple[int, dict[str, Any]]:
    """CKAN's statuses: 409 for a validation error, 403 for any refusal (a bad key included), 404 not found."""
    kind = TYPES.get(status, "Internal Server Error" if status >= 500 else "Bad Request")
    error: dict[str, Any] = {"__type": kind, "message": message}
    if kind == "Validation Error" and field:
        error[field] = [message]
    answer = {401: 403, 422: 409}.get(status, status)
    return answer, {"help": "", "success": False, "error": error}


@hooks.register_open_access
def authorisations_in_force(db: Session, actor: Any) -> OpenAccess | None:
    """Read on every request of a public account, so an authorisation that ends counts no more from the next."""
    if actor.id is None:
        return None
    found = access_of(db, actor.id)
    return found if found.grants else None
