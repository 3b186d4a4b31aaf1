"""Stripe's account requirements in words a seller understands, and which of them are new."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Exact requirement names (Stripe's `requirements.*_due` entries).
_EXACT: dict[str, Promise] = {
    "external_account": _("Bank account for payouts"),
    "tos_acceptance.date": _("Accept Stripe's terms of service"),
    "tos_acceptance.ip": _("Accept Stripe's terms of service"),
    "business_type": _("Type of business"),
    "business_profile.url": _("Business website"),
    "business_profile.mcc": _("Business category"),
    "business_profile.product_description": _("Description of what you sell"),
    "business_profile.support_phone": _("Customer support phone number"),
    "business_profile.name": _("Business name"),
    "company.name": _("Company name"),
    "company.tax_id": _("Company tax ID"),
    "company.phone": _("Company phone number"),
    "company.verification.document": _("Company registration document"),
    "company.owners_provided": _("Confirm the company's owners"),
    "company.directors_provided": _("Confirm the company's directors"),
    "company.executives_provided": _("Confirm the company's executives"),
    "individual.verification.document": _("Identity document (passport or ID card)"),
    "individual.verification.additional_document": _("Proof of address"),
    "individual.id_number": _("Personal ID or tax number"),
    "individual.ssn_last_4": _("Last 4 digits of the social security number"),
    "individual.email": _("Email address"),
    "individual.phone": _("Phone number"),
    "individual.first_name": _("Legal first name"),
    "individual.last_name": _("Legal last name"),
}
# Prefixes (the first match wins), for groups such as an address or a date of birth.
_PREFIXES: tuple[tuple[str, Promise], ...] = (
    ("individual.address.", _("Home address")),
    ("individual.dob.", _("Date of birth")),
    ("company.address.", _("Company address")),
    ("representative.", _("Details of the account representative")),
    ("owners.", _("Details of the company's owners")),
    ("directors.", _("Details of the company's directors")),
    ("executives.", _("Details of the company's executives")),
    ("settings.", _("Account settings")),
)
_PERSON = re.compile(r"^person_[A-Za-z0-9]+\.(?P<rest>.+)$")

DISABLED_REASONS: dict[str, Promise] = {
    "requirements.past_due": _("Stripe paused card payments and payouts because required "
                               "information is overdue."),
    "requirements.pending_verification": _("Stripe is verifying the information you provided."),
    "action_required.requested_capabilities": _("Stripe needs you to confirm what your account "
                                                "will be used for."),
    "under_review": _("Stripe is reviewing your account."),
    "listed": _("Stripe is reviewing your account (possible match on a sanctions list)."),
    "platform_paused": _("The marketplace paused your account."),
    "other": _("Stripe disabled your account; contact the marketplace's support."),
}


def requirement_label(name: str) -> str:
    """`individual.dob.day` → "Date of birth"; unknown names are shown readably, never hidden."""
    person = _PERSON.match(name)
    if person:  # a person added to a company account: the same fields as an individual's
        what = requirement_label(f"individual.{person['rest']}")
        return str(_("A person on your account: %(what)s") % {"what": what})
    if name in _EXACT:
        return str(_EXACT[name])
    for prefix, label in _PREFIXES:
        if name.startswith(prefix):
            return str(label)
    return name.replace("_", " ").replace(".", " › ").capitalize()


def requirement_labels(names: Iterable[str]) -> list[str]:
    """Labels of the names, each once, in order (the two `tos_acceptance.*` are one step)."""
    return list(dict.fromkeys(requirement_label(name) for name in names))


def disabled_reason_label(reason: str) -> str:
    if not reason:
        return ""
    if reason.startswith("rejected."):
        return str(_("Stripe rejected this account; contact the marketplace's support."))
    return str(DISABLED_REASONS.get(reason, DISABLED_REASONS["other"]))


@dataclass(frozen=True)
class RequirementsChange:
    """Items that newly came due since the owners were last told (empty: no email)."""

    currently_due: list[str]
    past_due: list[str]

    def __bool__(self) -> bool:
        return bool(self.currently_due or self.past_due)


def requirements_new(*, detail: dict[str, list[str]], notified: dict[str, list[str]]) -> RequirementsChange:
    """What is due now and was not in the last email; an item moving to past due is new there."""
    return RequirementsChange(
        currently_due=[n for n in detail.get("currently_due", []) if n not in notified.get("currently_due", [])],
        past_due=[n for n in detail.get("past_due", []) if n not in notified.get("past_due", [])],
    )
