"""Tenant errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError


class InvalidSlug(ApplicationError):
    code = "invalid_slug"
