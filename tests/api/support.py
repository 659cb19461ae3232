"""Helpers for the API tests: a key for a source, and a client that signs like the contract says."""

from __future__ import annotations

import json
import time
from typing import Any

from flask.testing import FlaskClient

from marketplace.api import keys
from marketplace.api.auth import sign
from marketplace.extensions import db

BASE = "/api/v1"


def make_key(source: str = "assist-gz") -> str:
    """A fresh API key of `source` (the source is created when new)."""
    _row, key = keys.create(source)
    db.session.commit()
    return key


class Api:
    """Sends requests the way an outside client written from the contract would."""

    def __init__(self, client: FlaskClient, key: str | None) -> None:
        self.client, self.key = client, key

    def headers(self, body: bytes = b"", *, timestamp: int | None = None, signing_key: str | None = None,
                signed: bool = True) -> dict[str, str]:
        """Authorization, and for changes X-Timestamp and X-Signature over the exact bytes sent."""
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        if signed and (self.key or signing_key):
            stamp = str(int(time.time()) if timestamp is None else timestamp)
            headers["X-Timestamp"] = stamp
            headers["X-Signature"] = sign(signing_key or self.key or "", stamp, body)
        return headers

    def post(self, path: str, payload: Any = None, *, body: bytes | None = None,
             content_type: str = "application/json", extra: dict[str, str] | None = None, **sign_options: Any):
        """POST JSON (or raw `body`), signed unless told otherwise."""
        data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {**self.headers(data, **sign_options), **(extra or {})}
        if content_type:
            headers["Content-Type"] = content_type
        return self.client.post(BASE + path, data=data, headers=headers)

    def get(self, path: str, **params: Any):
        """GET with the bearer key only."""
        return self.client.get(BASE + path, query_string=params, headers=self.headers(signed=False))


def api_for(app: Any, source: str = "assist-gz") -> Api:
    """A signed client of a fresh key of `source`."""
    return Api(app.test_client(), make_key(source))
