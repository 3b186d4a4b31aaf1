"""Chargeback evidence files sent to Stripe: which evidence field each file fills, and the upload.

Stripe takes a file as the id of an upload with purpose `dispute_evidence` (PDF, JPEG or PNG, at
most 5 MB), one file per file field. Each file is uploaded once: its Stripe id is stored on the
evidence row the moment the upload answers, so a retried submission reuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from disputes.errors import ClaimInvalid
from disputes.models import ChargebackEvidence
from payments import gateway

# Stripe's limits for purpose `dispute_evidence` (its file upload guide).
DISPUTE_EVIDENCE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
DISPUTE_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024

# The evidence fields of a dispute that hold a file id (Stripe's `evidence` hash), in the order
# the ops page lists them.
EVIDENCE_FILE_FIELDS = (
    "receipt", "shipping_documentation", "customer_communication", "refund_policy",
    "service_documentation", "cancellation_policy", "customer_signature",
    "duplicate_charge_documentation", "uncategorized_file",
)
# Where a vendor's file goes by default, from the kind of evidence it was given as.
KIND_FILE_FIELD = {
    ChargebackEvidence.Kind.TRACKING: "shipping_documentation",
    ChargebackEvidence.Kind.MESSAGE: "customer_communication",
    ChargebackEvidence.Kind.RECEIPT: "receipt",
    ChargebackEvidence.Kind.PHOTO: "uncategorized_file",
    ChargebackEvidence.Kind.NOTE: "uncategorized_file",
}
FALLBACK_FIELD = "uncategorized_file"


@dataclass(frozen=True)
class FileAssignment:
    assigned: dict[str, ChargebackEvidence]  # evidence field → the evidence whose file fills it
    left_out: list[ChargebackEvidence]  # files no free field was left for


def evidence_files_default(items: Iterable[ChargebackEvidence]) -> FileAssignment:
    """Each file to its kind's field, else `uncategorized_file`, first come first served."""
    assigned: dict[str, ChargebackEvidence] = {}
    left_out: list[ChargebackEvidence] = []
    for item in items:
        if not item.file:
            continue
        for field in (KIND_FILE_FIELD[ChargebackEvidence.Kind(item.kind)], FALLBACK_FIELD):
            if field not in assigned:
                assigned[field] = item
                break
        else:
            left_out.append(item)
    return FileAssignment(assigned, left_out)


def evidence_files_choose(
    items: Iterable[ChargebackEvidence], chosen: Mapping[str, Any] | None
) -> dict[str, ChargebackEvidence]:
    """The files to send: the admin's choice (field → evidence id), or the default when none.

    Refuses (nothing sent) an unknown field, a file of another dispute, the same file twice, a
    default that leaves files out, and any file Stripe would refuse (type, size).
    """
    files = {item.pk: item for item in items if item.file}
    if chosen is None:
        default = evidence_files_default(files.values())
        if default.left_out:
            names = ", ".join(item.file_name for item in default.left_out)
            raise ClaimInvalid(
                _("More files than evidence fields: choose the field of each file (left over: %(names)s).")
                % {"names": names}, fields={"files": [_("Choose a field for each file.")]})
        assignment = default.assigned
    else:
        assignment = _chosen(files, chosen)
    for field, item in assignment.items():
        _sendable(field, item)
    return assignment


def _chosen(files: dict[int, ChargebackEvidence], chosen: Mapping[str, Any]) -> dict[str, ChargebackEvidence]:
    assignment: dict[str, ChargebackEvidence] = {}
    for field, value in chosen.items():
        if value in (None, ""):
            continue
        if field not in EVIDENCE_FILE_FIELDS:
            raise ClaimInvalid(_("%(field)s is not an evidence field for files.") % {"field": field},
                               fields={"files": [_("Unknown field: %(field)s") % {"field": field}]})
        try:
            item = files[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ClaimInvalid(_("That file is not part of this dispute's evidence."),
                               fields={"files": [_("Unknown file for %(field)s") % {"field": field}]}) from None
        if item in assignment.values():
            raise ClaimInvalid(_("%(name)s is chosen for two fields.") % {"name": item.file_name},
                               fields={"files": [_("Each file fills one field.")]})
        assignment[field] = item
    return assignment


def _sendable(field: str, item: ChargebackEvidence) -> None:
    if item.stripe_file_id:
        return
    if item.content_type not in DISPUTE_EVIDENCE_TYPES:
        raise ClaimInvalid(
            _("%(name)s cannot be sent: the card networks take PDF, JPEG or PNG files only.")
            % {"name": item.file_name}, fields={"files": [_("Unsupported type for %(field)s") % {"field": field}]})
    if item.file.size > DISPUTE_EVIDENCE_MAX_BYTES:
        raise ClaimInvalid(
            _("%(name)s cannot be sent: it is larger than 5 MB.") % {"name": item.file_name},
            fields={"files": [_("Too large for %(field)s") % {"field": field}]})


def evidence_file_upload(item: ChargebackEvidence) -> str:
    """Upload the file once (idempotent by the evidence row) and keep its Stripe id at once."""
    if item.stripe_file_id:
        return item.stripe_file_id
    with item.file.open("rb") as handle:
        content = handle.read()
    uploaded = gateway.file_create(key=f"chargeback_evidence:{item.pk}", filename=item.file_name,
                                   content=content, purpose="dispute_evidence")
    ChargebackEvidence.objects.filter(pk=item.pk).update(stripe_file_id=uploaded.id)
    item.stripe_file_id = uploaded.id
    return uploaded.id
