"""The intake API's routes (/api/v1): thin, every rule lives in intake, feed, status and auth.

Access: the routes are `public` for the session-based access check, because API clients have no
session; each one then demands its own bearer key (and a signature for changes) in `_guard`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, g, jsonify, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from marketplace.accounts.access import public
from marketplace.api import auth, feed, keys, ratelimit
from marketplace.api import status as status_objects
from marketplace.api.document import document, localized
from marketplace.api.errors import (
    ApiError,
    ErrorOut,
    error_body,
    handle_api_error,
    handle_http_error,
    handle_unexpected,
)
from marketplace.api.schemas import (
    BatchResultOut,
    BatchResultsOut,
    ReferralAcceptedOut,
    ReferralBatchIn,
    ReferralFeedOut,
)
from marketplace.api.status import ReferralStatusOut, status_object
from marketplace.extensions import csrf, db
from marketplace.households import contract, intake
from marketplace.households.models import Referral
from marketplace.unit_of_work import follow_up

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # signed by key, not by a session's form token

MAX_BODY = 1024 * 1024
MAX_BATCH_BODY = 8 * 1024 * 1024
OPEN_ENDPOINTS = frozenset({"api.openapi_document", "api.docs"})

bp.register_error_handler(ApiError, handle_api_error)
bp.register_error_handler(HTTPException, handle_http_error)
bp.register_error_handler(Exception, handle_unexpected)


@bp.record_once
def _setup(state: Any) -> None:
    ratelimit.init_app(state.app)


@bp.before_request
def _guard() -> None:
    """Body limit, key, rate limit, then (for changes) the signature — before any view runs."""
    request.max_content_length = MAX_BATCH_BODY if request.endpoint == "api.batch" else MAX_BODY
    if request.endpoint in OPEN_ENDPOINTS:
        return
    key, presented = auth.authenticate()
    key_id, source_id = key.id, key.source_id
    follow_up(lambda response: keys.record_use(key_id, source_id, is_error=response.status_code >= 400))
    ratelimit.check(key)
    if request.method in auth.SIGNED_METHODS:
        if (request.content_length or 0) > request.max_content_length:
            raise ApiError(413)
        auth.check_signature(presented)


def _json_body() -> Any:
    """The posted JSON value: 415 unless Content-Type is application/json, 400 unless it parses."""
    if request.mimetype != "application/json":
        raise ApiError(415)
    try:
        return json.loads(request.get_data(cache=True), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise ApiError(400) from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _receive(payload: Any, lookups: contract.Lookups) -> tuple[int, ReferralAcceptedOut | ErrorOut]:
    """One referral, as if sent alone: (status, body) of the contract."""
    source = g.api_source.name
    try:
        received = intake.receive(source, payload, actor_label=f"api:{source}", lookups=lookups)
    except (intake.ReferralConflict, intake.ReferralInvalid) as refusal:
        return _answer(refusal)
    referral = received.referral
    return _answer(intake.Accepted(referral.id, referral.external_id, received.created))


def _answer(result: intake.BatchResult) -> tuple[int, ReferralAcceptedOut | ErrorOut]:
    """The contract's (status, body) of one referral's outcome."""
    if isinstance(result, intake.ReferralConflict):
        return 409, error_body(409)
    if isinstance(result, intake.ReferralInvalid):
        return 422, error_body(422, fields=dict(result.errors))
    if isinstance(result, intake.ReferralNotStored):
        return 422, error_body(422, str(result))
    body = ReferralAcceptedOut(id=str(result.id), external_id=result.external_id, status="received")
    return (201 if result.created else 200), body


@bp.post("/referrals")
@public
def create_referral() -> Response:
    """Receive one referral; a replay answers the first answer."""
    status, body = _receive(_json_body(), contract.Lookups())
    if "error" in body:
        raise ApiError(status, body["error"]["message"], fields=body["error"].get("fields"))
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = url_for("api.referral_detail", external_id=body["external_id"])
    return response


@bp.post("/referrals/batch")
@public
def batch() -> tuple[BatchResultsOut, int]:
    """Up to 500 referrals, each answered as if sent alone; one bad item never fails the others."""
    envelope, errors = contract.check(ReferralBatchIn, _json_body())
    if envelope is None:
        raise ApiError(422, fields=dict(errors))
    source = g.api_source.name
    # The districts, streets and caps are read once for the whole batch.
    outcomes = intake.receive_batch(source, envelope.referrals, actor_label=f"api:{source}",
                                    lookups=contract.Lookups())
    results = []
    for index, outcome in enumerate(outcomes):
        status, body = _answer(outcome)
        results.append(BatchResultOut(index=index, status=status, body=body))
    return BatchResultsOut(results=results), 207


@bp.get("/referrals/<external_id>")
@public
def referral_detail(external_id: str) -> ReferralStatusOut:
    """The status of one of this source's referrals; another source's id is simply not found."""
    if not contract.EXTERNAL_ID.fullmatch(external_id):
        raise ApiError(404, "No referral of yours has this external_id.")
    query = (
        sa.select(Referral).where(Referral.source == g.api_source.name, Referral.external_id == external_id)
        .options(*status_objects.loading())
    )
    referral = db.session.scalar(query)
    if referral is None:
        raise ApiError(404, "No referral of yours has this external_id.")
    return status_object(referral)


@bp.get("/referrals")
@public
def referral_feed() -> ReferralFeedOut:
    """This source's referrals changed since a time, oldest change first, by cursor."""
    try:
        position = feed.start(request.args.get("updated_since"), request.args.get("cursor"))
    except feed.FeedError as exc:
        raise ApiError(422, fields={exc.field: str(exc)}) from None
    items, after, has_more = feed.page(g.api_source.name, position)
    return ReferralFeedOut(referrals=[status_object(r) for r in items], next_cursor=feed.encode(after),
                           has_more=has_more)


@bp.get("/openapi.json")
@public
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document of this API (no key needed)."""
    return document()


@bp.get("/docs")
@public
def docs() -> str:
    """The same document as a readable page, its words in the reader's language (the JSON stays English)."""
    spec = document()
    examples = {name: json.dumps(schema["examples"][0], ensure_ascii=False, indent=2) if "examples" in schema else ""
                for name, schema in spec["components"]["schemas"].items()}
    return render_template("api/docs.html", spec=spec, examples=examples, t=_shown)


def _shown(text: str) -> Markup:
    """A text of the document in the reader's language, its `backticked` words as <code>, the rest escaped."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(localized(text)))))


def register(app: Flask) -> None:
    """Register the API and its admin page and CLI on the app."""
    from marketplace.api.admin_views import bp as admin_bp
    from marketplace.api.cli import bp as cli_bp

    for blueprint in (bp, admin_bp, cli_bp):
        app.register_blueprint(blueprint)
