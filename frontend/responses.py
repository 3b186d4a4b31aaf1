"""Responses shared by the pages of every side: moved to `common.responses` (apps' views sit
below `frontend` in the dependency order); re-exported for old callers."""

from __future__ import annotations

from common.responses import redirect_after_post

__all__ = ["redirect_after_post"]
