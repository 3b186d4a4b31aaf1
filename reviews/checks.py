"""Automatic checks of a review's text: the parts that need no database (links, text repeating
itself, the fingerprint that finds the same text pasted elsewhere)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

# A scheme, "www.", or a dotted name ending in a common top-level domain.
_LINK = re.compile(
    r"(?:https?://|ftp://|www\.|<\s*a\s|\b[\w-]{2,}\.(?:com|net|org|info|biz|io|co|ru|cn|de|fr|uk|shop|store|"
    r"xyz|top|online|site|link|click|ly|me)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_RUN = re.compile(r"(.)\1{9,}", re.DOTALL)
FINGERPRINT_MIN_CHARS = 20


def has_link(text: str) -> bool:
    return bool(_LINK.search(text))


def repeats_itself(text: str) -> bool:
    """One word making up more than half of eight or more words, or a character typed ten times."""
    if _RUN.search(text):
        return True
    words = [word.lower() for word in _WORD.findall(text)]
    if len(words) < 8:
        return False
    _word, count = Counter(words).most_common(1)[0]
    return count * 2 > len(words)


def fingerprint(text: str) -> str:
    """The text's words, folded, hashed; "" when too short to mean copy and paste."""
    folded = unicodedata.normalize("NFKC", text).lower()
    words = " ".join(_WORD.findall(folded))
    if len(words) < FINGERPRINT_MIN_CHARS:
        return ""
    return hashlib.sha256(words.encode()).hexdigest()
