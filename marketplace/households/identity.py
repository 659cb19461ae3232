"""One household, one file (一户一档): which household a referral joins, and what a source calls it.

A referral whose ID number is already on file joins that household, whichever door (form, file,
API) and whichever source brought it in. The number is compared as its keyed hash
(search/personal.py): `Household.identity_key` holds it for the one household that is the file of the
number, UNIQUE, so of concurrent referrals with one new number exactly one creates the household and
the others (retried by intake.py after the unique violation) join it. Without a number, a source's
own household id finds its earlier record, as it always did, also after that record was merged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app

from marketplace.extensions import db
from marketplace.households.contract import HouseholdIn
from marketplace.households.models import Household, HouseholdMerge, Referral
from marketplace.search import personal


def household_for(source: str, sent: HouseholdIn) -> Household:
    """The household a referral of `source` joins (added to the session, not flushed), its data refreshed
    with what was sent; a new one when neither its ID number nor the source's household id is on file."""
    key = personal.digest(personal.ID_NUMBER, sent.id_number or "")
    household = by_id_number(key) if key else None
    if household is None:
        household = by_source(source, sent.external_id)
        if household is not None:
            household.identity_key = key  # the number it now carries is held by no household, or it has none
    if household is None:
        household = Household(source=source, external_id=sent.external_id, identity_key=key)
        db.session.add(household)
    household.category, household.group = sent.category, sent.group
    household.district_code, household.street_code = sent.region_code, sent.street  # validated: the street's code
    household.members, household.head_name = sent.members, sent.head_name
    household.phone, household.address = sent.phone or "", sent.address or ""
    household.id_number = sent.id_number or ""  # its keyed hashes follow at flush (households/search.py)
    return household


def by_id_number(key: str) -> Household | None:
    """The file of an ID number: the household holding its key, else (a number on file from before this
    rule) the oldest household with that number, which takes the key now."""
    household = db.session.scalar(sa.select(Household).where(Household.identity_key == key))
    if household is not None:
        return household
    household = db.session.scalar(sa.select(Household).where(Household.id_number_hash == key)
                                  .order_by(Household.id).limit(1))
    if household is not None:
        household.identity_key = key
    return household


def by_source(source: str, external_id: str) -> Household | None:
    """The source's own record of a household, or the household it was merged into."""
    household = db.session.scalar(sa.select(Household).where(Household.source == source,
                                                              Household.external_id == external_id))
    if household is not None:
        return household
    kept_id = db.session.scalar(sa.select(HouseholdMerge.kept_id).where(
        HouseholdMerge.source == source, HouseholdMerge.external_id == external_id).limit(1))
    return db.session.get(Household, kept_id) if kept_id is not None else None


def joined_existing(referral: Referral) -> bool:
    """Whether the referral joined a household already on file (an earlier referral is in it)."""
    return bool(referral.household.referrals) and referral.household.referrals[0].id != referral.id


def token(source: str, household_id: int) -> str:
    """What a source calls a household in its status objects: stable per source, revealing nothing else
    (an HMAC of the source and the household's number with the app's secret, base32)."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    mac = hmac.new(key, f"household:{source}:{household_id}".encode(), hashlib.sha256).digest()[:15]
    return "h_" + base64.b32encode(mac).decode("ascii")


def redirect_target(household_id: int) -> int | None:
    """The household an old (merged) number now lives in, or None."""
    return db.session.scalar(sa.select(HouseholdMerge.kept_id).where(HouseholdMerge.merged_id == household_id))
