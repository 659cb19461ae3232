"""schemathesis against the served OpenAPI document: no 5xx, every answer conforms to the document.

The schema is loaded from GET /api/v1/openapi.json of the WSGI app. Each generated case is sent
the way a real client sends it: the body serialized once, then signed over exactly those bytes
(bearer key, X-Timestamp, X-Signature), so generation exercises the API behind the auth, not the
401. Bounded and reproducible: a fixed number of examples, a fixed seed, derandomized.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.api.auth import sign
from marketplace.clock import today
from marketplace.households.contract import EXAMPLE
from tests.api.support import Api, make_key
from tests.conftest import make_need, referral_payload

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}
SOURCE = "schemathesis"


class SignedClient:
    """Sends a schemathesis case like an outside client: serialize once, sign those bytes, send."""

    def __init__(self, app: Any, key: str) -> None:
        self.client, self.key = app.test_client(), key

    def send(self, case: schemathesis.Case) -> None:
        kwargs = case.as_transport_kwargs()
        body = _bytes(case.body)
        headers = {**kwargs["headers"], "Authorization": f"Bearer {self.key}"}
        if case.method.upper() == "POST":
            stamp = str(int(time.time()))
            headers.update({"X-Timestamp": stamp, "X-Signature": sign(self.key, stamp, body),
                            "Content-Type": "application/json"})
        response = self.client.open(kwargs["path"], method=case.method, headers=headers,
                                    query_string=kwargs.get("query_string"), data=body or None)
        case.validate_response(response, checks=CHECKS)


def _bytes(body: Any) -> bytes:
    if isinstance(body, NotSet):
        return b""
    return body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()


def _seed_referrals() -> list[str]:
    """Referrals of the schemathesis source in several states, so real status objects are checked."""
    from marketplace.households import intake

    ids = [intake.receive(SOURCE, referral_payload()).referral.external_id]
    for status in ("draft", "claimed", "closed"):
        need = make_need(status)
        need.referral.source = SOURCE
        ids.append(need.referral.external_id)
    # A routed offer, declined with its coded reason: `needs[].offer` of the v1 additions.
    from marketplace.accounts.models import Role
    from marketplace.matching import offers
    from tests.conftest import make_org, make_user

    need, org = make_need("published"), make_org()
    offer = offers.route(need, organisation=org, actor=make_user(Role.ADMIN))
    offers.decline(offer, actor=org.members[0], reason="no_capacity")
    need.referral.source = SOURCE
    ids.append(need.referral.external_id)
    return ids


def _fuzz(schema: Any, sender: SignedClient, mode: GenerationMode) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()

        @seed(20261125)
        @settings(max_examples=EXAMPLES[mode], derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            sender.send(case)

        run()


def test_the_api_conforms_to_its_openapi_document(app):
    key = make_key(SOURCE)
    known = _seed_referrals()
    from marketplace.extensions import db

    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    sender = SignedClient(app, key)
    # The contract's own example (made current), and the status of referrals in several states.
    example = json.loads(json.dumps(EXAMPLE))
    example["need"]["needed_by"] = (today() + timedelta(days=30)).isoformat()
    create = schema["/api/v1/referrals"]["POST"]
    for _ in range(2):  # the second is a replay
        sender.send(create.Case(body=example, media_type="application/json"))
    for external_id in known:
        sender.send(schema["/api/v1/referrals/{external_id}"]["GET"].Case(path_parameters={"external_id": external_id}))
    sender.send(schema["/api/v1/referrals"]["GET"].Case(query={"updated_since": "2000-01-01T00:00:00Z"}))
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _fuzz(schema, sender, mode)
    assert Api(app.test_client(), key).get("/referrals").status_code == 200


def _limits_in_document(prop: dict) -> dict:
    """A property's enum and bounds as the document states them (an optional one inside anyOf)."""
    schema = next((s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"), prop)
    names = {"enum": "choices", "minimum": "ge", "maximum": "le", "maxLength": "max_length",
             "minLength": "min_length"}
    found = {names[key]: value for key, value in schema.items() if key in names}
    if "choices" in found:
        found["choices"] = ", ".join(found["choices"])
    return found


def test_the_documents_household_and_need_are_the_contract_models_themselves(client):
    from marketplace import taxonomy
    from marketplace.households.contract import HouseholdIn, NeedIn, limits

    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for model, name in ((HouseholdIn, "Household"), (NeedIn, "Need")):
        served = schemas[name]
        assert set(served["properties"]) == set(model.model_fields)  # (the served JSON sorts keys)
        assert served["required"] == [f for f, declared in model.model_fields.items() if declared.is_required()]
        assert served["additionalProperties"] is False
        for field, prop in served["properties"].items():
            declared = {k: v for k, v in limits(model, field).items() if k != "required"}
            assert _limits_in_document(prop) == declared, f"{name}.{field}"
    household, need = schemas["Household"]["properties"], schemas["Need"]["properties"]
    assert household["category"]["enum"] == list(taxonomy.HOUSEHOLD_CATEGORIES)
    assert household["group"]["enum"] == list(taxonomy.HOUSEHOLD_GROUPS)
    assert need["category"]["enum"] == list(taxonomy.NEED_CATEGORIES)
    assert (household["members"]["minimum"], household["members"]["maximum"]) == (1, 20)
    assert (need["quantity"]["minimum"], need["quantity"]["maximum"], need["quantity"]["default"]) == (1, 1000, 1)


def test_the_api_enforces_exactly_the_bounds_the_document_states(app):
    """Each bound of the served Household and Need: the value at it is accepted, one past it refused."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    api = Api(app.test_client(), make_key("bounds"))
    for section, name in (("household", "Household"), ("need", "Need")):
        for field, prop in spec[name]["properties"].items():
            schema = next((s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"), prop)
            if field in ("estimated_value_fen", "street") or ("maxLength" in schema and "pattern" in schema
                                                   and schema["pattern"] != r"\S"):
                continue  # the caps bound the amount, the loaded streets the street; schemathesis does patterns
            cases = []
            if "maximum" in schema:
                cases += [(schema["maximum"], True), (schema["maximum"] + 1, False)]
            if "minimum" in schema:
                cases += [(schema["minimum"], True), (schema["minimum"] - 1, False)]
            if "maxLength" in schema:
                cases += [("字" * schema["maxLength"], True), ("字" * (schema["maxLength"] + 1), False)]
            for value in schema.get("enum", []):
                cases.append((value, True))
            if "enum" in schema:
                cases.append(("not-" + schema["enum"][0], False))
            for value, accepted in cases:
                payload = referral_payload()
                payload[section][field] = value
                if (section, field, value) == ("need", "kind", "renovation"):
                    payload["need"]["category"] = "home_safety"
                response = api.post("/referrals", payload)
                path = f"{section}.{field}"
                if accepted:
                    assert response.status_code == 201, (path, value, response.get_json())
                else:
                    assert response.status_code == 422 and path in response.get_json()["error"]["fields"], (path, value)
