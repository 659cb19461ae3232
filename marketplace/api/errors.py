"""The contract's error shape: `{"error": {"code", "message", "fields"?}}`, for every API failure.

Each type's `__doc__` (marked `N_`, for the catalog) is its description in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from flask import Response, current_app, jsonify
from pydantic import Field
from typing_extensions import TypedDict
from werkzeug.exceptions import HTTPException

from marketplace.households.contract_errors import N_

# HTTP status → (code, message). The first eight are the contract's; the rest cover what an
# unexpected method or a routing miss can produce, so even those answer in the same shape.
CODES: dict[int, tuple[str, str]] = {
    400: ("bad_json", "The body is not valid JSON."),
    401: ("unauthorized", "A valid API key (and, for changes, a valid signature) is required."),
    404: ("not_found", "No such resource."),
    409: ("conflict", "This external_id was already sent with different content."),
    413: ("too_large", "The body is too large."),
    415: ("unsupported_media_type", "Send the body as Content-Type: application/json."),
    422: ("invalid", "The request breaks the contract."),
    429: ("rate_limited", "Too many requests: retry after the number of seconds in Retry-After."),
    405: ("method_not_allowed", "This method is not allowed here."),
    500: ("internal_error", "Something went wrong on our side."),
}
ErrorCode = Literal[tuple(code for code, _message in CODES.values())]


class ErrorDetailOut(TypedDict):
    __doc__ = N_("What went wrong.")

    code: ErrorCode
    message: str
    fields: NotRequired[Annotated[dict[str, str], Field(
        description=N_("Dotted path into the posted JSON → what is wrong (422 only)."))]]


class ErrorOut(TypedDict):
    __doc__ = N_("The body of every error answer.")

    error: ErrorDetailOut


class ApiError(Exception):
    """An API failure answered with the contract's JSON error."""

    def __init__(self, status: int, message: str | None = None, *, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message or CODES[status][1])
        self.status, self.fields, self.headers = status, fields, headers or {}


def error_body(status: int, message: str | None = None, fields: dict[str, str] | None = None) -> ErrorOut:
    """The JSON error object for a status (also used for per-item batch results)."""
    code, default = CODES.get(status, CODES[500 if status >= 500 else 400])
    error = ErrorDetailOut(code=code, message=message or default)
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def error_response(status: int, message: str | None = None, *, fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """A JSON error response."""
    response = jsonify(error_body(status, message, fields))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_api_error(error: ApiError) -> Response:
    """Flask error handler for ApiError (the request boundary rolls the unit back: the status is >= 400)."""
    return error_response(error.status, str(error), fields=error.fields, headers=error.headers)


def handle_http_error(error: HTTPException) -> Response:
    """Werkzeug's HTTP errors (413 from a long body, 405, 404) in the contract's shape."""
    status = error.code or 500
    headers = {name: value for name, value in error.get_headers() if name == "Allow"}
    return error_response(status if status in CODES else 400, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    """A bug must still answer in the contract's shape; it is logged for the developers."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("unhandled API error")
    return error_response(500)
