"""The OpenAPI 3 document of the intake API, built from the same constants the code checks.

Served at GET /api/v1/openapi.json and rendered for people at /api/v1/docs.
"""

from __future__ import annotations

import copy
from typing import Any

from marketplace import taxonomy
from marketplace.api.auth import MAX_SKEW_SECONDS
from marketplace.households.validation import NEED_KINDS, URGENCIES

EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
NEED_STATUSES = ["draft", "published", "claimed", "delivered", "closed", "cancelled", "expired"]
REFERRAL_STATUSES = ["received", "triaged", "declined", "published", "claimed", "delivered", "closed", "cancelled"]
LIGHTS = ["green", "yellow", "red"]
ERROR_CODES = ["bad_json", "unauthorized", "not_found", "conflict", "too_large", "unsupported_media_type",
               "invalid", "rate_limited", "method_not_allowed", "internal_error"]

SIGNING = (
    f"Requests that change state also carry `X-Timestamp` (unix seconds, within {MAX_SKEW_SECONDS} s of the "
    "server clock) and `X-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<raw body>\" with the API key "
    "as secret>`."
)
DESCRIPTION = (
    "The assistance system refers needs to Shanlian and follows each one to its end.\n\n"
    "Every request carries `Authorization: Bearer <key>` (keys are created by an admin with "
    "`flask api-key create SOURCE`). " + SIGNING + "\n\n"
    "Each source sees only its own referrals. At least 100 requests per 10 seconds per key are served; "
    "beyond the limit the answer is 429 with `Retry-After`. Every error is "
    '`{"error": {"code", "message", "fields"?}}`; `fields` keys are dotted paths into the posted JSON.'
)


def _string(min_length: int = 1, max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": min_length, **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


HOUSEHOLD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id", "category", "group", "region_code", "members", "head_name"],
    "properties": {
        "external_id": _string(max_length=64, pattern=EXTERNAL_ID),
        "category": {"type": "string", "enum": list(taxonomy.HOUSEHOLD_CATEGORIES)},
        "group": {"type": "string", "enum": list(taxonomy.HOUSEHOLD_GROUPS)},
        "region_code": {"type": "string", "pattern": r"^\d{6}$",
                        "description": "A district code loaded in the application (Guangzhou: 440103 … 440118)."},
        "street": {"type": "string", "maxLength": 60, "description": "Name or 9-digit code of a street of it."},
        "members": {"type": "integer", "minimum": 1, "maximum": 20},
        "head_name": _string(max_length=50),
        "phone": {"type": "string", "maxLength": 30, "pattern": r"^[0-9+\- ]{5,30}$"},
        "address": {"type": "string", "maxLength": 200},
        "id_number": {"type": "string", "pattern": r"^(\d{17}[\dXx]|\d{15})$"},
    },
}

NEED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "category", "title", "description", "estimated_value_fen", "urgency", "needed_by"],
    "properties": {
        "kind": {"type": "string", "enum": list(NEED_KINDS)},
        "category": {"type": "string", "enum": list(taxonomy.NEED_CATEGORIES)},
        "title": _string(max_length=100),
        "description": _string(max_length=2000),
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1},
        "estimated_value_fen": {
            "type": "integer", "minimum": 0,
            "description": "Total for the whole quantity, in fen. A wish is at most the wish cap (default "
                           "200000); a renovation at most 8000000.",
        },
        "urgency": {"type": "string", "enum": list(URGENCIES)},
        "needed_by": {"type": "string", "format": "date", "description": "Today or later in Asia/Shanghai."},
    },
}

REFERRAL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id", "referred_at", "household", "need"],
    "properties": {
        "external_id": _string(max_length=64, pattern=EXTERNAL_ID),
        "referred_at": {"type": "string", "format": "date-time", "description": "RFC 3339 with offset; Z accepted."},
        "household": _ref("Household"),
        "need": _ref("Need"),
    },
    "example": {
        "external_id": "GZ-YX-2026-000123",
        "referred_at": "2026-11-20T10:00:00+08:00",
        "household": {
            "external_id": "H-440104-88812", "category": "dibao", "group": "elderly_special_difficulty",
            "region_code": "440104", "street": "北京街道", "members": 1, "head_name": "李桂芳",
            "phone": "13800138000", "address": "越秀区北京路XX号", "id_number": "440104195201011234",
        },
        "need": {
            "kind": "wish", "category": "daily_living", "title": "一台电饭煲",
            "description": "独居老人，原电饭煲损坏，需要一台3升电饭煲。", "quantity": 1,
            "estimated_value_fen": 29900, "urgency": "normal", "needed_by": "2026-12-31",
        },
    },
}

ACCEPTED = {
    "type": "object",
    "required": ["id", "external_id", "status"],
    "properties": {"id": {"type": "string"}, "external_id": {"type": "string"},
                   "status": {"type": "string", "enum": ["received"]}},
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": ERROR_CODES},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Dotted path into the posted JSON → what is wrong (422 only)."},
            },
        }
    },
}

NEED_STATUS = {
    "type": "object",
    "required": ["id", "kind", "status", "light", "claimed_by", "promised_by", "closed_at", "rating", "feedback"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": list(NEED_KINDS)},
        "status": {"type": "string", "enum": NEED_STATUSES},
        "light": _nullable({"type": "string", "enum": LIGHTS}),
        "claimed_by": _nullable({"type": "string", "description": "Public name of the helping organisation."}),
        "promised_by": _nullable({"type": "string", "format": "date"}),
        "closed_at": _nullable({"type": "string", "format": "date-time"}),
        "rating": _nullable({"type": "integer", "minimum": 1, "maximum": 5}),
        "feedback": _nullable({"type": "string"}),
    },
}

STATUS = {
    "type": "object",
    "required": ["id", "external_id", "status", "light", "decline_reason", "needs", "updated_at"],
    "properties": {
        "id": {"type": "string"},
        "external_id": {"type": "string"},
        "status": {"type": "string", "enum": REFERRAL_STATUSES},
        "light": _nullable({"type": "string", "enum": LIGHTS, "description": "The worst light of its needs."}),
        "decline_reason": _nullable({"type": "string"}),
        "needs": {"type": "array", "items": _ref("NeedStatus")},
        "updated_at": {"type": "string", "format": "date-time", "description": "Last change, in +08:00."},
    },
}

FEED = {
    "type": "object",
    "required": ["referrals", "next_cursor", "has_more"],
    "properties": {
        "referrals": {"type": "array", "maxItems": 100, "items": _ref("ReferralStatus")},
        "next_cursor": {"type": "string", "description": "Pass as `cursor` (alone) for the next page or later."},
        "has_more": {"type": "boolean"},
    },
}

BATCH_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["referrals"],
    "properties": {"referrals": {"type": "array", "minItems": 1, "maxItems": 500, "items": _ref("Referral")}},
}

BATCH_RESULT = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "status", "body"],
                "properties": {
                    "index": {"type": "integer", "minimum": 0},
                    "status": {"type": "integer", "enum": [200, 201, 409, 422]},
                    "body": {"anyOf": [_ref("ReferralAccepted"), _ref("Error")]},
                },
            },
        }
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


ERROR_TEXT = {
    400: "bad_json: the body is not valid JSON.",
    401: "unauthorized: missing, unknown or revoked key; for changes also a missing, wrong or stale signature.",
    404: "not_found: no referral of this source has this external_id.",
    409: "conflict: this external_id was already sent with different content (checked before validation).",
    413: "too_large: the body is over 1 MiB (8 MiB for the batch endpoint).",
    415: "unsupported_media_type: the body's Content-Type is not application/json.",
    422: "invalid: the request breaks the contract; `fields` says where.",
    429: "rate_limited: too many requests for this key; wait Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "required": True,
                               "schema": {"type": "string", "pattern": r"^[0-9]+$"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in statuses:
        responses[str(status)] = {"description": ERROR_TEXT[status], "content": _json(_ref("Error"))}
        if status == 429:
            responses[str(status)]["headers"] = RETRY_AFTER
    return responses


SIGNED = [{"$ref": "#/components/parameters/XTimestamp"}, {"$ref": "#/components/parameters/XSignature"}]
ACCEPTED_HEADERS = {"Location": {"description": "The referral's status URL.", "required": True,
                                 "schema": {"type": "string"}}}

CREATE = {
    "operationId": "createReferral",
    "summary": "Refer one need",
    "description": "Idempotent by external_id: the same content again answers 200 with the first answer "
                   "(also while the first request is still being handled); different content answers 409.",
    "parameters": SIGNED,
    "requestBody": {"required": True, "content": _json(_ref("Referral"))},
    "responses": {
        "201": {"description": "Received.", "headers": ACCEPTED_HEADERS, "content": _json(_ref("ReferralAccepted"))},
        "200": {"description": "A replay: the same body as the first answer.", "headers": ACCEPTED_HEADERS,
                "content": _json(_ref("ReferralAccepted"))},
        **_errors(400, 401, 409, 413, 415, 422, 429),
    },
}

BATCH = {
    "operationId": "createReferralBatch",
    "summary": "Refer 1 to 500 needs at once",
    "description": "Each item is handled as if sent alone; one bad item never stops the others.",
    "parameters": SIGNED,
    "requestBody": {"required": True, "content": _json(_ref("ReferralBatch"))},
    "responses": {"207": {"description": "One result per item, in order.", "content": _json(_ref("BatchResults"))},
                  **_errors(400, 401, 413, 415, 422, 429)},
}

DETAIL = {
    "operationId": "getReferral",
    "summary": "Where one referral stands",
    "parameters": [{"name": "external_id", "in": "path", "required": True,
                    "schema": _string(max_length=64, pattern=EXTERNAL_ID)}],
    "responses": {"200": {"description": "The status object.", "content": _json(_ref("ReferralStatus"))},
                  **_errors(401, 404, 429)},
}

FEED_OPERATION = {
    "operationId": "listReferralChanges",
    "summary": "The source's referrals changed since a time",
    "description": "Oldest change first, up to 100 a page. `next_cursor` is always present: pass it as `cursor` "
                   "(alone) for the next page now, or later to receive exactly the changes made since. A referral "
                   "that changed again appears again, at its new position.",
    "parameters": [
        {"name": "updated_since", "in": "query", "required": False,
         "description": "Inclusive; RFC 3339 with offset (Z accepted). Omitted: from the beginning.",
         "schema": {"type": "string", "format": "date-time"}},
        {"name": "cursor", "in": "query", "required": False, "description": "An opaque next_cursor.",
         "schema": {"type": "string"}},
    ],
    "responses": {"200": {"description": "A page of status objects.", "content": _json(_ref("ReferralFeed"))},
                  **_errors(401, 422, 429)},
}

SPEC_OPERATION = {
    "operationId": "getOpenApiDocument",
    "summary": "This document",
    "security": [],
    "responses": {"200": {"description": "The OpenAPI document.", "content": _json({"type": "object"})}},
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document (a fresh copy each call: callers may change it freely)."""
    return copy.deepcopy({
        "openapi": "3.0.3",
        "info": {"title": "Shanlian referral intake API", "version": "1.0.0", "description": DESCRIPTION},
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/v1/referrals": {"post": CREATE, "get": FEED_OPERATION},
            "/api/v1/referrals/batch": {"post": BATCH},
            "/api/v1/referrals/{external_id}": {"get": DETAIL},
            "/api/v1/openapi.json": {"get": SPEC_OPERATION},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "The source's API key."}},
            "parameters": {
                "XTimestamp": {"name": "X-Timestamp", "in": "header", "required": True,
                               "description": f"Unix time in seconds; at most {MAX_SKEW_SECONDS} s off.",
                               "schema": {"type": "string", "pattern": r"^[0-9]{1,12}$"}},
                "XSignature": {"name": "X-Signature", "in": "header", "required": True, "description": SIGNING,
                               "schema": {"type": "string", "pattern": r"^sha256=[0-9a-f]{64}$"}},
            },
            "schemas": {
                "Referral": REFERRAL, "Household": HOUSEHOLD, "Need": NEED, "ReferralAccepted": ACCEPTED,
                "ReferralBatch": BATCH_REQUEST, "BatchResults": BATCH_RESULT, "ReferralStatus": STATUS,
                "NeedStatus": NEED_STATUS, "ReferralFeed": FEED, "Error": ERROR,
            },
        },
    })
