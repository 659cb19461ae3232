"""The audit log in words: what each recorded action, object type and field is called, in zh and en.

A new action needs one line in `ACTIONS`: tests/audit/test_words.py walks the source for every
name passed to `audit.record` and fails for one without words. Rows whose action has no words
(written by code since renamed) show the raw name. The labels of a feature's states live with its
models; `marketplace/admin/audit_entries.py` joins them to the fields below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

# action name → what the actor did, as a phrase that follows the actor's name ("张三 认领了需求")
ACTIONS: dict[str, Any] = {
    "auth.login": _l("signed in"),
    "auth.login_failed": _l("failed to sign in"),
    "auth.logout": _l("signed out"),
    "account.password_change": _l("changed their password"),
    "account.password_reset_request": _l("asked for a password-reset link"),
    "account.password_reset_send": _l("sent a password-reset link"),
    "account.password_reset": _l("set a new password with a reset link"),
    "account.registration_existing_email": _l("tried to register with an email that has an account"),
    "auth.login_throttled": _l("was made to wait before signing in again (too many failures)"),
    "auth.factor_enrolled": _l("set up a second factor"),
    "auth.factor_disabled": _l("turned off the second factor"),
    "auth.factor_reset": _l("reset the account's second factor"),
    "auth.recovery_code_used": _l("signed in with a recovery code"),
    "user.create": _l("created the account"),
    "user.access_change": _l("changed the account's access"),
    "user.outlet_assign": _l("assigned the account to an outlet"),
    "organisation.register": _l("registered the organisation"),
    "organisation.approve": _l("approved the organisation"),
    "organisation.reject": _l("rejected the organisation"),
    "organisation.recommend": _l("recommended a decision on the organisation"),
    "referral.receive": _l("received the referral"),
    "referral.import": _l("imported referrals from a file"),
    "referral.triage": _l("triaged the referral"),
    "referral.decline": _l("declined the referral"),
    "household.view_personal": _l("viewed the household's personal data"),
    "household.search": _l("searched the households for an exact name, phone, ID number or source id"),
    "household.merge": _l("merged a duplicate household into this one"),
    "need.create": _l("created the need"),
    "need.publish": _l("published the need"),
    "need.cancel": _l("cancelled the need"),
    "need.replan": _l("re-planned the need"),
    "need.claim": _l("claimed the need"),
    "need.release": _l("released the claim on the need"),
    "need.reassign": _l("reassigned the need to another organisation"),
    "need.evidence": _l("added evidence to the need"),
    "need.deliver": _l("marked the need delivered"),
    "need.confirm": _l("confirmed the delivery"),
    "need.reject": _l("sent the delivery back"),
    "need.recipient_code": _l("issued the recipient's confirmation code"),
    "need.rewrite": _l("rewrote the need's public text"),
    "match.dismiss": _l("said the need is not for their organisation"),
    "organisation.capability": _l("changed the organisation's capability profile"),
    "offer.route": _l("routed the need to an organisation as an offer"),
    "offer.accept": _l("accepted the offer of the need"),
    "offer.decline": _l("declined the offer of the need"),
    "offer.cancel": _l("cancelled the offer of the need"),
    "offer.expire": _l("let the offer of the need expire (unanswered by its deadline)"),
    "offer.end": _l("ended the offer: the need left the pool another way"),
    "need.parts_settle": _l("the need's parts moved it on"),
    "need.project_accepted": _l("closed the need with its project's acceptance"),
    "project.create": _l("started the renovation project"),
    "project.photo": _l("added a project photo"),
    "project.photo_public": _l("showed a photo on the project's public page"),
    "project.photo_private": _l("took a photo off the project's public page"),
    "project.rewrite": _l("rewrote the project's public text"),
    "project.due": _l("set a milestone's due date"),
    "project.line_add": _l("added a plan line"),
    "project.line_remove": _l("removed a plan line"),
    "project.over_cap": _l("asked for approval of a plan over the cap"),
    "project.plan_approved": _l("approved the plan"),
    "project.covered": _l("found the plan fully covered"),
    "project.works_started": _l("started the works"),
    "project.inspection": _l("recorded the final inspection"),
    "project.accepted": _l("accepted the finished works"),
    "project.spot_check": _l("recorded a spot check"),
    "project.sample": _l("drew the spot-check sample"),
    "project.maintenance": _l("asked for maintenance"),
    "project.maintenance_done": _l("completed the maintenance"),
    "project.pledge": _l("pledged to the project"),
    "project.pledge_delivered": _l("delivered a pledge"),
    "project.pledge_confirmed": _l("confirmed a pledge"),
    "project.pledge_withdrawn": _l("withdrew a pledge"),
    "donation.start": _l("started a donation"),
    "donation.succeeded": _l("reported the donation paid"),
    "donation.failed": _l("reported the payment failed"),
    "donation.refunded": _l("refunded the donation"),
    "meal_pledge.create": _l("pledged meals"),
    "meal_pledge.approve": _l("approved the meal pledge"),
    "meal_pledge.reject": _l("rejected the meal pledge"),
    "meal_pledge.withdraw": _l("withdrew the meal pledge"),
    "meal.book": _l("booked a meal"),
    "meal.cancel": _l("cancelled a meal booking"),
    "meal.redeem": _l("served a meal (voucher redeemed)"),
    "eligibility_code.issue": _l("issued an eligibility code"),
    "eligibility_code.revoke": _l("revoked an eligibility code"),
    "outlet.create": _l("registered an outlet"),
    "outlet.update": _l("changed the outlet's details"),
    "api_key.create": _l("created an API key"),
    "api_key.revoke": _l("revoked an API key"),
    "api_source.rate_limit": _l("changed the API source's rate limit"),
    "setting.change": _l("changed a setting"),
    "department.create": _l("added a government department"),
    "department.update": _l("changed a government department"),
    "transfer.request": _l("transferred the case to a government department"),
    "transfer.answer": _l("recorded the department's answer"),
    "transfer.overdue": _l("found the department's answer overdue"),
    "need.transfer": _l("handed the need to a government department"),
    "need.transfer_end": _l("took the need back from the department"),
    "lead.report": _l("reported a household that may need help"),
    "lead.view_personal": _l("viewed the lead's contact details"),
    "lead.refer": _l("made the lead a referral"),
    "lead.close": _l("closed the lead"),
    "region.office": _l("changed an office's contact"),
    "audit.export": _l("exported the audit log"),
    "privacy.scan": _l("scanned the public texts for personal data"),
    "visit.assign": _l("assigned the household's visits"),
    "visit.record": _l("recorded a visit to the household"),
    "followup.record": _l("recorded the follow-up of the need"),
}

# the part of an action name before the dot → the group the action filter shows it in
GROUPS: dict[str, Any] = {
    "auth": _l("Sign-in"),
    "user": _l("Accounts"),
    "account": _l("Passwords"),
    "organisation": _l("Organisations"),
    "referral": _l("Referrals"),
    "household": _l("Households"),
    "need": _l("Needs"),
    "match": _l("Recommendations"),
    "offer": _l("Routed offers"),
    "project": _l("Renovation projects"),
    "donation": _l("Donations"),
    "meal_pledge": _l("Meal pledges"),
    "meal": _l("Meals"),
    "eligibility_code": _l("Eligibility codes"),
    "outlet": _l("Outlets"),
    "api_key": _l("API keys"),
    "api_source": _l("API sources"),
    "setting": _l("Settings"),
    "department": _l("Government departments"),
    "transfer": _l("Transfers to departments"),
    "lead": _l("Community leads"),
    "region": _l("Offices"),
    "audit": _l("Audit log"),
    "privacy": _l("Privacy"),
    "visit": _l("Visits"),
    "followup": _l("Follow-ups"),
}
OTHER_GROUP = _l("Other actions")


@dataclass(frozen=True)
class Noun:
    """An object type: what one is called, and the page that shows it (an endpoint taking the id as
    `arg`, or a list page when `arg` is None)."""

    name: Any
    endpoint: str | None = None
    arg: str | None = None

    def href(self, object_id: str) -> str | None:
        """The page of one object, or None when it has none (or the id is not one)."""
        if self.endpoint is None:
            return None
        if self.arg is None:
            return url_for(self.endpoint)
        if not (object_id.isascii() and object_id.isdigit()):
            return None
        try:
            return url_for(self.endpoint, **{self.arg: int(object_id)})
        except BuildError:  # an id past the route's range names nothing
            return None


# object type (the table `record(obj=…)` names) → its noun and page
OBJECTS: dict[str, Noun] = {
    "needs": Noun(_l("Need"), "staff_needs.need_detail", "need_id"),
    "households": Noun(_l("Household"), "referrals.household_detail", "household_id"),
    "referrals": Noun(_l("Referral"), "referrals.referral_detail", "referral_id"),
    "users": Noun(_l("Account"), "admin.user_edit", "user_id"),
    "organisations": Noun(_l("Organisation"), "organisations.review", "org_id"),
    "projects": Noun(_l("Renovation project"), "staff_projects.detail", "project_id"),
    "meal_pledges": Noun(_l("Meal pledge"), "staff_meals.pledge_review", "pledge_id"),
    "outlets": Noun(_l("Outlet")),
    "vouchers": Noun(_l("Meal voucher")),
    "eligibility_codes": Noun(_l("Eligibility code"), "meal_codes.code_list"),
    "donations": Noun(_l("Donation"), "donations.admin_list"),
    "api_keys": Noun(_l("API key"), "api_admin.sources"),
    "api_sources": Noun(_l("API source"), "api_admin.sources"),
    "settings": Noun(_l("Setting"), "settings.edit"),
    "departments": Noun(_l("Government department"), "transfers.department_edit", "department_id"),
    "transfers": Noun(_l("Transfer to a department"), "transfers.transfer_detail", "transfer_id"),
    "leads": Noun(_l("Community lead"), "leads.lead_detail", "lead_id"),
    "regions": Noun(_l("Office of a region"), "region_admin.region_edit", "code"),
    "inspection_samples": Noun(_l("Spot-check sample")),
    "audit_events": Noun(_l("Audit log")),
}


@dataclass(frozen=True)
class Field:
    """A key of an event's before/after details: its label and how its values read.

    Kinds: text, number, ref (another object's number), money (fen), date (ISO), flag, state (a
    label from the model's dict), organisation (an id), region (a code), weekdays (a bit mask),
    action, object_type, user (an id), setting (the value of the setting the event names),
    hidden (personal: never shown).
    """

    label: Any
    kind: str = "text"


FIELDS: dict[str, Field] = {
    "status": Field(_l("Status"), "state"),
    "reason": Field(_l("Reason")),
    "kind": Field(_l("Kind"), "state"),
    "value_fen": Field(_l("Value"), "money"),
    "amount_fen": Field(_l("Amount"), "money"),
    "total_fen": Field(_l("Plan total"), "money"),
    "cap_fen": Field(_l("Cap"), "money"),
    "confirmed_fen": Field(_l("Confirmed pledges"), "money"),
    "project_fen": Field(_l("To the project"), "money"),
    "general_fund_fen": Field(_l("To the general fund"), "money"),
    "claim_deadline": Field(_l("Claim by"), "date"),
    "promised_by": Field(_l("Promised by"), "date"),
    "organisation_id": Field(_l("Organisation"), "organisation"),
    "from_organisation": Field(_l("Previous organisation"), "organisation"),
    "via": Field(_l("Confirmed by"), "state"),
    "rating": Field(_l("Rating"), "number"),
    "milestone": Field(_l("Milestone"), "state"),
    "purpose": Field(_l("Photo taken at"), "state"),
    "passed": Field(_l("Passed"), "flag"),
    "referral_id": Field(_l("Referral"), "ref"),
    "need_id": Field(_l("Need"), "ref"),
    "evidence_id": Field(_l("Evidence"), "ref"),
    "line_id": Field(_l("Plan line"), "ref"),
    "inspection_id": Field(_l("Inspection"), "ref"),
    "request_id": Field(_l("Maintenance request"), "ref"),
    "pledge_id": Field(_l("Pledge"), "ref"),
    "project_id": Field(_l("Project"), "ref"),
    "outlet_id": Field(_l("Outlet"), "ref"),
    "looked_up": Field(_l("Looked up by")),
    "merged_id": Field(_l("Merged household"), "ref"),
    "moved_referrals": Field(_l("Referrals moved"), "number"),
    "moved_needs": Field(_l("Needs moved"), "number"),
    "household_fen": Field(_l("Household's renovation plans in the window"), "money"),
    "value_hash": Field(_l("Keyed hash of the searched value")),
    "seed": Field(_l("Random seed")),
    "population": Field(_l("Projects sampled from"), "number"),
    "chosen": Field(_l("Projects chosen")),
    "meals_per_day": Field(_l("Meals per day"), "number"),
    "starts_on": Field(_l("Starts on"), "date"),
    "ends_on": Field(_l("Ends on"), "date"),
    "weekdays": Field(_l("Weekdays"), "weekdays"),
    "days": Field(_l("Meal days"), "number"),
    "serve_date": Field(_l("Meal day"), "date"),
    "with_eligibility_code": Field(_l("With an eligibility code"), "flag"),
    "expires_on": Field(_l("Expires on"), "date"),
    "revoked": Field(_l("Revoked"), "flag"),
    "offline": Field(_l("Given offline"), "flag"),
    "source": Field(_l("Source")),
    "external_id": Field(_l("Source's reference")),
    "file": Field(_l("File name")),
    "rows": Field(_l("Rows"), "number"),
    "created": Field(_l("Referrals created"), "number"),
    "already_present": Field(_l("Already present"), "number"),
    "bad_rows": Field(_l("Rows refused"), "number"),
    "name": Field(_l("Name")),
    "email": Field(_l("Email")),
    "role": Field(_l("Role"), "state"),
    "region_code": Field(_l("Region"), "region"),
    "street_code": Field(_l("Street"), "region"),
    "is_enabled": Field(_l("Account enabled"), "flag"),
    "address": Field(_l("Address")),
    "photo_id": Field(_l("Photo"), "number"),
    "caption": Field(_l("Caption")),
    "title_rewritten": Field(_l("Public title rewritten"), "flag"),
    "story_rewritten": Field(_l("Public story rewritten"), "flag"),
    "checked": Field(_l("Public texts checked"), "number"),
    "refused": Field(_l("Fragments the story guard refuses"), "number"),
    "needs": Field(_l("Needs to rewrite")),
    "projects": Field(_l("Projects to rewrite")),
    "recommendation_id": Field(_l("Recommendation"), "number"),
    "decision": Field(_l("Decision")),
    "office_name": Field(_l("Office")),
    "office_phone": Field(_l("Office phone")),
    "office_address": Field(_l("Office address")),
    "serves_from": Field(_l("Serves from")),
    "serves_until": Field(_l("Serves until")),
    "is_active": Field(_l("Open for bookings"), "flag"),
    "prefix": Field(_l("Key prefix")),
    "rate_limit": Field(_l("Rate limit"), "number"),
    "value": Field(_l("Setting value"), "setting"),
    "action": Field(_l("Action"), "action"),
    "object_type": Field(_l("Object type"), "object_type"),
    "object_id": Field(_l("Object id")),
    "actor_id": Field(_l("Who"), "user"),
    "since": Field(_l("From"), "date"),
    "until": Field(_l("To"), "date"),
    "second_factor": Field(_l("Second factor")),
    "wait_seconds": Field(_l("Wait (seconds)"), "number"),
    "replaced": Field(_l("Replaced an earlier one"), "flag"),
    "recovery_codes": Field(_l("Recovery codes issued"), "number"),
    "left": Field(_l("Recovery codes left"), "number"),
    "department": Field(_l("Department")),
    "due_on": Field(_l("Answer due"), "date"),
    "outcome": Field(_l("Outcome"), "state"),
    "taken_over": Field(_l("Taken over by the department"), "flag"),
    "reporter_kind": Field(_l("Reported by"), "state"),
    "remit": Field(_l("Remit")),
    "contact_name": Field(_l("Contact person")),
    "contact_phone": Field(_l("Contact phone")),
    "contact_email": Field(_l("Contact email")),
    "offer_id": Field(_l("Offer"), "ref"),
    "offer_status": Field(_l("Offer status"), "state"),
    "offer_reason": Field(_l("Reason for declining")),
    "due": Field(_l("Answer by"), "date"),
    "capacity_open": Field(_l("Open claims at once"), "number"),
    "capacity_month": Field(_l("Claims per month"), "number"),
    "value_min_fen": Field(_l("Usual value from"), "money"),
    "value_max_fen": Field(_l("Usual value up to"), "money"),
    "response_hours": Field(_l("Usually answers within (hours)"), "number"),
    "categories": Field(_l("Categories and services")),
    "regions": Field(_l("Regions served")),
    "household_id": Field(_l("Household"), "ref"),
    "visit_id": Field(_l("Visit"), "ref"),
    "caseworker_id": Field(_l("Caseworker"), "user"),
    "met": Field(_l("Met the household"), "flag"),
    "visited_at": Field(_l("Visited at")),
    "reached": Field(_l("Reached the household"), "flag"),
    "solved": Field(_l("Solved"), "flag"),
    "satisfaction": Field(_l("Satisfaction (1–5)"), "number"),
    "quantity": Field(_l("Quantity"), "number"),
    "decline_code": Field(_l("Why declined")),
    # Personal data of a household: no event stores it today; should one ever, it is not shown.
    "head_name": Field(_l("Name"), "hidden"),
    "phone": Field(_l("Phone"), "hidden"),
    "id_number": Field(_l("ID number"), "hidden"),
}

# (action, field) → words for codes that have no label dict in a model
CODES: dict[tuple[str, str], dict[str, Any]] = {
    ("auth.login_failed", "reason"): {"bad_credentials": _l("wrong email or password"),
                                      "disabled": _l("account disabled"),
                                      "wrong_code": _l("wrong second-factor code")},
    ("auth.login", "second_factor"): {"totp": _l("a code from the app"), "recovery": _l("a recovery code"),
                                      "enrolled": _l("set up at this sign-in")},
    ("need.confirm", "via"): {"caseworker": _l("the caseworker, after a visit"),
                              "recipient": _l("the recipient, with the slip's code")},
    ("organisation.recommend", "decision"): {"approve": _l("approve"), "reject": _l("reject")},
    ("project.photo", "purpose"): {"survey": _l("the survey"), "inspection": _l("an inspection"),
                                   "maintenance": _l("maintenance")},
}

# `actor_label` of rows written without a signed-in user → who that was
MACHINES: dict[str, Any] = {
    "system": _l("the system"),
    "anonymous": _l("someone not signed in"),
    "stripe": _l("Stripe (payments)"),
    "donor": _l("a donor"),
    "resident": _l("a resident"),
    "cli": _l("the command line"),
    "demo": _l("the demo data"),
}
API_PREFIX = "api:"  # "api:<source>": a referral pushed through the API by that source


def action_words(action: str) -> str:
    """What the action is called in the reader's language; an action without words reads as its raw name."""
    words = ACTIONS.get(action)
    return str(words) if words is not None else action


def group_of(action: str) -> str:
    """The group an action name belongs to (the part before its first dot)."""
    return action.split(".", 1)[0]


def group_words(group: str) -> str:
    """What a group of actions is called."""
    words = GROUPS.get(group)
    return str(words) if words is not None else str(OTHER_GROUP)


def noun(object_type: str) -> str:
    """What an object type is called; an unknown one reads as its raw name."""
    known = OBJECTS.get(object_type)
    return str(known.name) if known is not None else object_type


def field(key: str) -> Field:
    """The label and kind of a details key; an unknown key is its own label, shown as text."""
    return FIELDS.get(key) or Field(key)
