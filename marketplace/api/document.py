"""The OpenAPI 3.1 document of the intake API: its objects generated from the types the code validates with.

Served at GET /api/v1/openapi.json and rendered for people at /api/v1/docs. The schemas come from
the contract's models (households/contract.py) and the answer types (api/schemas.py, status.py,
errors.py) through pydantic's JSON Schema, which is the dialect of OpenAPI 3.1; only the routes,
their words and their answers are written here.

The words are English, for machines; each is marked `N_` (an object's description is its `__doc__`,
marked where the type is declared), so /api/v1/docs shows it in the reader's language.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from flask_babel import gettext
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from marketplace.api.auth import MAX_SKEW_SECONDS
from marketplace.api.errors import ErrorOut
from marketplace.api.models import MIN_RATE_LIMIT
from marketplace.api.schemas import BatchResultsOut, ReferralAcceptedOut, ReferralBatchIn, ReferralFeedOut
from marketplace.api.status import ReferralStatusOut
from marketplace.households.contract import EXTERNAL_ID_PATTERN, N_, ReferralIn


class Text(str):
    """A text of the document with values in it: English for machines, `localized()` for the docs page.

    A plain text of the document is its own msgid (marked `N_`), so the page translates it with
    `gettext` alone; a text with values needs its template, which this keeps.
    """

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Text:
        """The text `template % params` (a Text among the values is put in as its English)."""
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text

    def localized(self) -> str:
        """The text in the reader's language, its Text values translated too."""
        return gettext(self.template, **{name: localized(value) for name, value in self.params.items()})


def localized(text: Any) -> Any:
    """A text of the document in the reader's language (a value that is no text, as it is)."""
    if isinstance(text, Text):
        return text.localized()
    return gettext(text) if isinstance(text, str) else text


SIGNING = Text(N_(
    "Requests that change state also carry `X-Timestamp` (unix seconds, within %(seconds)s s of the server "
    "clock) and `X-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<raw body>\" with the API key as "
    "secret>`."
), seconds=MAX_SKEW_SECONDS)
DESCRIPTION = Text(N_(
    "The assistance system refers needs to Shanlian and follows each one to its end.\n\n"
    "Every request carries `Authorization: Bearer <key>` (an admin creates keys on the API sources page, "
    "or with `flask api-key create SOURCE`). %(signing)s\n\n"
    "Each source sees only its own referrals. At least %(floor)s requests per 10 seconds per key are served; "
    "beyond the limit the answer is 429 with `Retry-After`. Every error is "
    '`{"error": {"code", "message", "fields"?}}`; `fields` keys are dotted paths into the posted JSON.'
), signing=SIGNING, floor=MIN_RATE_LIMIT)
# Requests are validated, answers serialized: each type is shown in the mode it is used in.
TYPES = [(ReferralIn, "validation"), (ReferralBatchIn, "validation"), (ReferralAcceptedOut, "serialization"),
         (BatchResultsOut, "serialization"), (ReferralStatusOut, "serialization"),
         (ReferralFeedOut, "serialization"), (ErrorOut, "serialization")]


class _Schemas(GenerateJsonSchema):
    """Objects named as the document has always named them (ReferralIn → Referral), without titles."""

    def normalize_name(self, name: str) -> str:
        """The class name without its In/Out suffix."""
        return re.sub(r"(In|Out)$", "", super().normalize_name(name))

    def field_title_should_be_set(self, schema: Any) -> bool:
        """No per-field titles: the field's name says it."""
        return False

    def sort(self, value: Any, parent_key: str | None = None) -> Any:
        """Keep the declared order (the contract's), examples included."""
        return value


@functools.cache
def schemas() -> dict[str, Any]:
    """The document's objects (components/schemas), generated once per process."""
    refs, generated = TypeAdapter.json_schemas(
        [(kind, mode, TypeAdapter(kind)) for kind, mode in TYPES],
        ref_template="#/components/schemas/{model}", schema_generator=_Schemas,
    )
    for schema in generated["$defs"].values():
        schema.pop("title", None)
    # Shown in this order on /api/v1/docs: each object before the ones it is made of.
    order = [name for ref in refs.values() for name in _refs_of(generated["$defs"], ref["$ref"].split("/")[-1])]
    return {name: generated["$defs"][name] for name in dict.fromkeys(order)}


def _refs_of(defs: dict[str, Any], name: str) -> list[str]:
    """The object's name, then those of the objects it refers to, depth first."""
    found = [name]
    for ref in re.findall(r"#/components/schemas/(\w+)", repr(defs[name])):
        found += [inner for inner in _refs_of(defs, ref) if inner not in found]
    return found


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


ERROR_TEXT = {
    400: N_("`bad_json`: the body is not valid JSON."),
    401: N_("`unauthorized`: missing, unknown or revoked key; for changes also a missing, wrong or stale signature."),
    404: N_("`not_found`: no referral of this source has this external_id."),
    409: N_("`conflict`: this external_id was already sent with different content (checked before validation)."),
    413: N_("`too_large`: the body is over 1 MiB (8 MiB for the batch endpoint)."),
    415: N_("`unsupported_media_type`: the body's Content-Type is not application/json."),
    422: N_("`invalid`: the request breaks the contract; `fields` says where."),
    429: N_("`rate_limited`: too many requests for this key; wait Retry-After seconds."),
}
RETRY_AFTER = {"Retry-After": {"description": N_("Seconds to wait before retrying."), "required": True,
                               "schema": {"type": "string", "pattern": r"^[0-9]+$"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in statuses:
        responses[str(status)] = {"description": ERROR_TEXT[status], "content": _json(_ref("Error"))}
        if status == 429:
            responses[str(status)]["headers"] = RETRY_AFTER
    return responses


SIGNED = [{"$ref": "#/components/parameters/XTimestamp"}, {"$ref": "#/components/parameters/XSignature"}]
ACCEPTED_HEADERS = {"Location": {"description": N_("The referral's status URL."), "required": True,
                                 "schema": {"type": "string"}}}

CREATE = {
    "operationId": "createReferral",
    "summary": N_("Refer one need"),
    "description": N_("Idempotent by external_id: the same content again answers 200 with the first answer "
                      "(also while the first request is still being handled); different content answers 409."),
    "parameters": SIGNED,
    "requestBody": {"required": True, "content": _json(_ref("Referral"))},
    "responses": {
        "201": {"description": N_("Received."), "headers": ACCEPTED_HEADERS,
                "content": _json(_ref("ReferralAccepted"))},
        "200": {"description": N_("A replay: the same body as the first answer."), "headers": ACCEPTED_HEADERS,
                "content": _json(_ref("ReferralAccepted"))},
        **_errors(400, 401, 409, 413, 415, 422, 429),
    },
}

BATCH = {
    "operationId": "createReferralBatch",
    "summary": N_("Refer 1 to 500 needs at once"),
    "description": N_("Each item is handled as if sent alone; one bad item never stops the others."),
    "parameters": SIGNED,
    "requestBody": {"required": True, "content": _json(_ref("ReferralBatch"))},
    "responses": {"207": {"description": N_("One result per item, in order."), "content": _json(_ref("BatchResults"))},
                  **_errors(400, 401, 413, 415, 422, 429)},
}

DETAIL = {
    "operationId": "getReferral",
    "summary": N_("Where one referral stands"),
    "parameters": [{"name": "external_id", "in": "path", "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": EXTERNAL_ID_PATTERN}}],
    "responses": {"200": {"description": N_("The status object."), "content": _json(_ref("ReferralStatus"))},
                  **_errors(401, 404, 429)},
}

FEED_OPERATION = {
    "operationId": "listReferralChanges",
    "summary": N_("The source's referrals changed since a time"),
    "description": N_("Oldest change first, up to 100 a page. `next_cursor` is always present: pass it as "
                      "`cursor` (alone) for the next page now, or later to receive exactly the changes made "
                      "since. A referral that changed again appears again, at its new position."),
    "parameters": [
        {"name": "updated_since", "in": "query", "required": False,
         "description": N_("Inclusive; RFC 3339 with offset (Z accepted). Omitted: from the beginning."),
         "schema": {"type": "string", "format": "date-time"}},
        {"name": "cursor", "in": "query", "required": False, "description": N_("An opaque next_cursor."),
         "schema": {"type": "string"}},
    ],
    "responses": {"200": {"description": N_("A page of status objects."), "content": _json(_ref("ReferralFeed"))},
                  **_errors(401, 422, 429)},
}

SPEC_OPERATION = {
    "operationId": "getOpenApiDocument",
    "summary": N_("This document"),
    "security": [],
    "responses": {"200": {"description": N_("The OpenAPI document."), "content": _json({"type": "object"})}},
}

PARAMETERS = {
    "XTimestamp": {"name": "X-Timestamp", "in": "header", "required": True,
                   "description": Text(N_("Unix time in seconds; at most %(seconds)s s off."),
                                       seconds=MAX_SKEW_SECONDS),
                   "schema": {"type": "string", "pattern": r"^[0-9]{1,12}$"}},
    "XSignature": {"name": "X-Signature", "in": "header", "required": True, "description": SIGNING,
                   "schema": {"type": "string", "pattern": r"^sha256=[0-9a-f]{64}$"}},
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document (a fresh copy each call: callers may change it freely)."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": N_("Shanlian referral intake API"), "version": "1.0.0", "description": DESCRIPTION},
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/v1/referrals": {"post": CREATE, "get": FEED_OPERATION},
            "/api/v1/referrals/batch": {"post": BATCH},
            "/api/v1/referrals/{external_id}": {"get": DETAIL},
            "/api/v1/openapi.json": {"get": SPEC_OPERATION},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": N_("The source's API key.")}},
            "parameters": PARAMETERS,
            "schemas": schemas(),
        },
    })
