"""Absolute URLs across hosts: moved to `common.hosts` (domain code builds them for emails and
tasks, and may not import presentation); re-exported for the templates' tags and old callers."""

from __future__ import annotations

from common.hosts import host_url, platform_url, vendor_url

__all__ = ["host_url", "platform_url", "vendor_url"]
