"""The ops console's manual actions: dead letters, manual refunds, listing takedowns, privacy requests."""

from support.services.dead_letters import (
    dead_letter_discard,
    dead_letter_fingerprint,
    dead_letter_record,
    dead_letter_retry,
    traceback_summary,
)

__all__ = [
    "dead_letter_discard", "dead_letter_fingerprint", "dead_letter_record", "dead_letter_retry",
    "traceback_summary",
]
