"""How quality pages show a refused form: the message on the form itself, a refused permission on the record."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from govdata.errors import GovdataError
from govdata.policy import Denied
from govdata.web.errors import note_refusal


def page_error(exc: GovdataError) -> str:
    """The message for a form re-render; a refused permission goes to the error handler (and audit) instead."""
    if isinstance(exc, Denied):
        raise exc
    return exc.message


def form_error(request: Request, exc: GovdataError) -> str:
    """The message for a form re-render, a refused permission included (recorded as the error handler would),
    so that choosing a resource one may not use from a picker answers on the form, not on a bare 403 page."""
    note_refusal(request, exc)
    return exc.message


def invalid_field(exc: ValidationError) -> str:
    """The form field of a schema's first complaint (each page then says it in Chinese, by the field's label)."""
    return str(exc.errors()[0]["loc"][0])
