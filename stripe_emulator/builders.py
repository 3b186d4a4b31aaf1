"""Builders of Stripe objects with the exact shapes of Stripe's fixtures (fixtures3.json)."""

from __future__ import annotations

from typing import Any

from .cards import CardProfile
from .state import new_id

ONBOARDING_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "individual.phone",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


def address() -> dict[str, Any]:
    return {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def list_object(url: str, data: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"object": "list", "data": data or [], "has_more": False, "url": url}


def requirements(due: list[str], disabled_reason: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def account(
    *,
    account_id: str,
    created: int,
    account_type: str,
    country: str,
    email: str | None,
    business_type: str | None,
    default_currency: str,
    capabilities: dict[str, str],
    metadata: dict[str, str],
    business_profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    profile = {
        "annual_revenue": {"amount": None, "currency": None, "fiscal_year_end": None},
        "estimated_worker_count": None,
        "mcc": None,
        "name": None,
        "product_description": None,
        "support_address": address(),
        "support_email": None,
        "support_phone": None,
        "support_url": None,
        "url": None,
        "minority_owned_business_designation": None,
    }
    profile.update(business_profile or {})
    return {
        "id": account_id,
        "object": "account",
        "business_profile": profile,
        "business_type": business_type,
        "capabilities": capabilities,
        "charges_enabled": False,
        "controller": {"type": "application" if account_type != "standard" else "account"},
        "country": country,
        "created": created,
        "default_currency": default_currency,
        "details_submitted": False,
        "email": email,
        "external_accounts": list_object(f"/v1/accounts/{account_id}/external_accounts"),
        "future_requirements": requirements([], None),
        "metadata": metadata,
        "payouts_enabled": False,
        "requirements": requirements(ONBOARDING_REQUIREMENTS, "requirements.past_due"),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
            "payments": {
                "statement_descriptor": None,
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": account_type,
    }


def bank_account(*, currency: str, country: str, holder: str | None) -> dict[str, Any]:
    return {
        "id": new_id("ba_"),
        "object": "bank_account",
        "account_holder_name": holder,
        "account_holder_type": "individual",
        "account_type": None,
        "bank_name": "STRIPE TEST BANK",
        "country": country,
        "currency": currency,
        "customer": None,
        "fingerprint": new_id("", 16),
        "last4": "6789",
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
    }


def account_link(*, created: int, expires_at: int, url: str) -> dict[str, Any]:
    return {"object": "account_link", "created": created, "expires_at": expires_at, "url": url}


def login_link(*, created: int, url: str) -> dict[str, Any]:
    return {"object": "login_link", "created": created, "url": url}


def ephemeral_key(*, created: int, expires: int, customer: str) -> dict[str, Any]:
    return {
        "id": new_id("ephkey_", 24),
        "object": "ephemeral_key",
        "associated_objects": [{"id": customer, "type": "customer"}],
        "created": created,
        "expires": expires,
        "livemode": False,
        "secret": new_id("ek_test_", 48),
    }


def customer(
    *,
    created: int,
    email: str | None,
    name: str | None,
    description: str | None,
    phone: str | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": description,
        "discount": None,
        "email": email,
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "phone": phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def card_details(
    card: CardProfile, exp_month: int, exp_year: int, wallet: str | None = None
) -> dict[str, Any]:
    wallet_details = {"type": wallet, wallet: {}, "dynamic_last4": card.last4} if wallet else None
    return {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": "fp" + card.number[-8:] + card.brand[:4],
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": wallet_details,
        "regulated_status": "unregulated",
    }


def payment_method(
    *,
    created: int,
    card: CardProfile,
    exp_month: int,
    exp_year: int,
    billing_details: dict[str, Any] | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    details = {"address": address(), "email": None, "name": None, "phone": None, "tax_id": None}
    for key, value in (billing_details or {}).items():
        if key in details and not isinstance(details[key], dict):
            details[key] = value
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": details,
        "card": card_details(card, exp_month, exp_year),
        "created": created,
        "customer": None,
        "livemode": False,
        "metadata": metadata,
        "type": "card",
        "customer_account": None,
    }


def payment_intent(
    *,
    pi_id: str,
    created: int,
    amount: int,
    currency: str,
    capture_method: str,
    customer: str | None,
    description: str | None,
    metadata: dict[str, str],
    transfer_group: str | None,
    receipt_email: str | None,
    statement_descriptor: str | None,
    application_fee_amount: int | None,
    on_behalf_of: str | None,
    transfer_data: dict[str, Any] | None,
    payment_method_types: list[str],
    setup_future_usage: str | None = None,
) -> dict[str, Any]:
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": application_fee_amount,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{pi_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": on_behalf_of,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": payment_method_types,
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": setup_future_usage,
        "shipping": None,
        "statement_descriptor": statement_descriptor,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": transfer_data,
        "transfer_group": transfer_group,
        "source": None,
        "excluded_payment_method_types": None,
        "customer_account": None,
        "managed_payments": None,
    }


def charge(
    *,
    charge_id: str,
    created: int,
    amount: int,
    currency: str,
    pi: dict[str, Any] | None,
    pm: dict[str, Any] | None,
    status: str,
    captured: bool,
    outcome: dict[str, Any],
    failure_code: str | None = None,
    failure_message: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    source_transfer: str | None = None,
) -> dict[str, Any]:
    card = (pm or {}).get("card") or {}
    billing = (pm or {}).get("billing_details") or {
        "address": address(),
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }
    pm_details: dict[str, Any] | None = None
    if card:
        pm_details = {
            "card": {
                "amount_authorized": amount if status == "succeeded" else None,
                "brand": card["brand"],
                "checks": dict(card["checks"]),
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "three_d_secure": None,
                "wallet": card.get("wallet"),
                "authorization_code": None,
                "regulated_status": "unregulated",
                "network_transaction_id": None,
                "transaction_link_id": None,
            },
            "type": "card",
        }
    elif source_transfer:
        pm_details = {"stripe_account": {}, "type": "stripe_account"}
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured and status == "succeeded" else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": (pi or {}).get("application_fee_amount"),
        "balance_transaction": None,
        "billing_details": billing,
        "calculated_statement_descriptor": "EMULATOR",
        "captured": captured,
        "created": created,
        "currency": currency,
        "customer": (pi or {}).get("customer"),
        "description": description if pi is None else pi.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(metadata if metadata is not None else (pi or {}).get("metadata", {})),
        "on_behalf_of": (pi or {}).get("on_behalf_of"),
        "outcome": outcome,
        "paid": status == "succeeded",
        "payment_intent": (pi or {}).get("id"),
        "payment_method": (pm or {}).get("id"),
        "payment_method_details": pm_details,
        "receipt_email": (pi or {}).get("receipt_email"),
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": list_object(f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source_transfer": source_transfer,
        "statement_descriptor": (pi or {}).get("statement_descriptor"),
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": (pi or {}).get("transfer_group"),
        "source": None,
    }


def outcome(
    *, approved: bool, reason: str | None = None, seller_message: str | None = None,
    risk_level: str = "normal", risk_score: int = 20, blocked: bool = False,
) -> dict[str, Any]:
    """`charge.outcome`: Radar's risk evaluation and what became of the payment (authorized,
    declined by the issuer, or blocked by Radar before reaching the network)."""
    if blocked:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "not_sent_to_network",
            "reason": "highest_risk_level",
            "risk_level": risk_level,
            "risk_score": risk_score,
            "seller_message": "Stripe blocked this payment as too risky.",
            "type": "blocked",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network" if approved else "declined_by_network",
        "reason": reason,
        "risk_level": risk_level,
        "risk_score": risk_score,
        "seller_message": seller_message
        or ("Payment complete." if approved else "The bank did not return any further details."),
        "type": "authorized" if approved else "issuer_declined",
    }


def refund(
    *,
    created: int,
    amount: int,
    charge: dict[str, Any],
    reason: str | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge.get("payment_intent"),
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
        "customer": charge.get("customer"),
        "customer_account": None,
        "payment_method": charge.get("payment_method"),
    }


def fee_detail(amount: int, currency: str, description: str, fee_type: str) -> dict[str, Any]:
    return {
        "amount": amount,
        "application": None,
        "currency": currency,
        "description": description,
        "type": fee_type,
    }


def balance_transaction(
    *,
    created: int,
    amount: int,
    currency: str,
    description: str | None,
    fee: int,
    fee_details: list[dict[str, Any]],
    source: str | None,
    txn_type: str,
    reporting_category: str,
) -> dict[str, Any]:
    return {
        "id": new_id("txn_"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available",
        "type": txn_type,
        "balance_type": "payments",
    }


def transfer(
    *,
    created: int,
    amount: int,
    currency: str,
    destination: str,
    description: str | None,
    metadata: dict[str, str],
    source_transaction: str | None,
    transfer_group: str | None,
) -> dict[str, Any]:
    transfer_id = new_id("tr_")
    return {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": None,
        "created": created,
        "currency": currency,
        "description": description,
        "destination": destination,
        "destination_payment": None,
        "livemode": False,
        "metadata": metadata,
        "reversals": list_object(f"/v1/transfers/{transfer_id}/reversals"),
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": "card",
        "transfer_group": transfer_group,
    }


def transfer_reversal(
    *, created: int, amount: int, transfer: dict[str, Any], metadata: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": new_id("trr_"),
        "object": "transfer_reversal",
        "amount": amount,
        "balance_transaction": None,
        "created": created,
        "currency": transfer["currency"],
        "destination_payment_refund": None,
        "metadata": metadata,
        "source_refund": None,
        "transfer": transfer["id"],
    }


def payout(
    *,
    created: int,
    amount: int,
    currency: str,
    destination: str | None,
    description: str | None,
    metadata: dict[str, str],
    method: str,
    statement_descriptor: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id("po_"),
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": created + 2 * 86400,
        "automatic": False,
        "balance_transaction": None,
        "created": created,
        "currency": currency,
        "description": description,
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": metadata,
        "method": method,
        "original_payout": None,
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": statement_descriptor,
        "status": "pending",
        "type": "bank_account",
        "trace_id": {"status": "pending", "value": None},
        "payout_method": None,
    }


DISPUTE_EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def dispute(*, created: int, charge: dict[str, Any], reason: str, due_by: int) -> dict[str, Any]:
    evidence: dict[str, Any] = dict.fromkeys(DISPUTE_EVIDENCE_FIELDS)
    evidence["enhanced_evidence"] = {}
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "evidence": evidence,
        "evidence_details": {
            "due_by": due_by,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "enhanced_eligibility": {},
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge.get("payment_intent"),
        "payment_method_details": {
            "card": {
                "brand": card.get("brand", "visa"),
                "case_type": "chargeback",
                "network_reason_code": "10.4" if reason == "fraudulent" else "13.1",
                "network": card.get("brand", "visa"),
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
        "enhanced_eligibility_types": [],
    }


def balance(
    available: dict[str, int], pending: dict[str, int], default_currency: str
) -> dict[str, Any]:
    def funds(amounts: dict[str, int]) -> list[dict[str, Any]]:
        currencies = sorted(amounts) or [default_currency]
        return [
            {
                "amount": amounts.get(cur, 0),
                "currency": cur,
                "source_types": {"card": amounts.get(cur, 0)},
            }
            for cur in currencies
        ]

    reserved = sorted(available) or [default_currency]
    return {
        "object": "balance",
        "available": funds(available),
        "connect_reserved": [{"amount": 0, "currency": cur} for cur in reserved],
        "livemode": False,
        "pending": funds(pending),
    }


def event(
    *,
    created: int,
    event_type: str,
    obj: dict[str, Any],
    previous_attributes: dict[str, Any] | None,
    account: str | None,
    api_version: str,
    request_id: str | None,
    idempotency_key: str | None,
    pending_webhooks: int,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    out: dict[str, Any] = {
        "id": new_id("evt_"),
        "object": "event",
    }
    if account is not None:
        out["account"] = account
    out.update(
        {
            "api_version": api_version,
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": pending_webhooks,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event_type,
        }
    )
    return out


def file_object(
    *,
    file_id: str,
    created: int,
    expires_at: int | None,
    filename: str,
    purpose: str,
    size: int,
    file_type: str,
    url: str,
) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "created": created,
        "expires_at": expires_at,
        "filename": filename,
        "links": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/file_links?file={file_id}",
        },
        "purpose": purpose,
        "size": size,
        "title": None,
        "type": file_type,
        "url": url,
    }


# Evidence fields that hold the id of a file uploaded with purpose `dispute_evidence`.
DISPUTE_EVIDENCE_FILE_FIELDS = frozenset(
    {
        "cancellation_policy",
        "customer_communication",
        "customer_signature",
        "duplicate_charge_documentation",
        "receipt",
        "refund_policy",
        "service_documentation",
        "shipping_documentation",
        "uncategorized_file",
    }
)
