"""Tenant errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError


class InvalidSlug(ApplicationError):
    code = "invalid_slug"


class InvalidDomain(ApplicationError):
    code = "invalid_domain"


class DomainTaken(ApplicationError):
    code = "domain_taken"
    status_code = 409


class DomainNotVerified(ApplicationError):
    code = "domain_not_verified"


class DnsUnavailable(ApplicationError):
    code = "dns_unavailable"
    status_code = 503
    retry_after = 60
