"""Domain errors. Each carries its HTTP status; one handler in the app renders them."""

from __future__ import annotations

from typing import Any


class GovdataError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.context = context

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.context.get("details") is not None:
            error["details"] = self.context["details"]
        return {"error": error}


class BadRequest(GovdataError):
    status = 400
    code = "bad_request"


class InvalidCharacter(BadRequest):
    """A control character where none may be (web.inputs says where), naming the field."""

    code = "invalid_character"


class NotAuthenticated(GovdataError):
    status = 401
    code = "not_authenticated"


class Forbidden(GovdataError):
    status = 403
    code = "forbidden"


class NotFound(GovdataError):
    status = 404
    code = "not_found"


class Conflict(GovdataError):
    status = 409
    code = "conflict"


class PayloadTooLarge(GovdataError):
    status = 413
    code = "payload_too_large"


class RuleViolation(GovdataError):
    """A rule that needs state or the database was broken (422, naming the field)."""

    status = 422
    code = "rule_violation"


class TooManyRequests(GovdataError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class Unavailable(GovdataError):
    status = 503
    code = "unavailable"


class FieldProblem(ValueError):
    """Raised by a schema's model validator about one field (a date range, a choice that needs a reason):
    pydantic keeps it as the error's cause, and forms show the message beside that field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
