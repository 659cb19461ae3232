"""The API's own shapes around the referral contract: the batch envelope and the answers.

Declared once as types: the views build (or validate) them, the OpenAPI document shows them.
Each type's `__doc__` (marked `N_`, for the catalog) is its description in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator
from typing_extensions import TypedDict

from marketplace.api.errors import ErrorOut
from marketplace.api.feed import PAGE_SIZE
from marketplace.api.status import ReferralStatusOut
from marketplace.households.contract import CONTRACT, N_, ReferralIn, Says

MAX_BATCH_ITEMS = 500

# Each item is validated alone, as if sent alone (intake.receive): the envelope only passes it on.
BatchItem = Annotated[Any, PlainValidator(lambda item: item, json_schema_input_type=ReferralIn)]


class ReferralBatchIn(BaseModel):
    __doc__ = N_("1 to 500 referrals sent at once.")

    model_config = CONTRACT

    referrals: Annotated[list[BatchItem], Field(min_length=1, max_length=MAX_BATCH_ITEMS),
                         Says(N_("an array of %(min_length)s to %(max_length)s referrals"))]


class ReferralAcceptedOut(TypedDict):
    __doc__ = N_("The answer to a referral received (201) or sent again with the same content (200).")

    id: str
    external_id: str
    status: Literal["received"]


class BatchResultOut(TypedDict):
    __doc__ = N_("One item's answer, as if it had been sent alone.")

    index: Annotated[int, Field(ge=0)]
    status: Literal[200, 201, 409, 422]
    body: ReferralAcceptedOut | ErrorOut


class BatchResultsOut(TypedDict):
    __doc__ = N_("One result per item, in order.")

    results: list[BatchResultOut]


class ReferralFeedOut(TypedDict):
    __doc__ = N_("A page of the change feed.")

    referrals: Annotated[list[ReferralStatusOut], Field(max_length=PAGE_SIZE)]
    next_cursor: Annotated[str, Field(description=N_("Pass as `cursor` (alone) for the next page or later."))]
    has_more: bool
