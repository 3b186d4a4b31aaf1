"""DNS look-ups for custom vendor domains: the only module importing dnspython (ADR 0092)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import dns.exception
import dns.resolver
from django.conf import settings
from django.utils.translation import gettext as _

from tenants.errors import DnsUnavailable


class Resolver(Protocol):
    """What domain verification asks of DNS: TXT strings and IPv4/IPv6 addresses of a name."""

    def txt(self, name: str) -> list[str]: ...

    def addresses(self, name: str) -> list[str]: ...


@dataclass(frozen=True)
class DnsPythonResolver:
    """A real resolver: the system's (/etc/resolv.conf) or the name servers given, on `port`.

    A name that does not exist or has no record of the type answers an empty list; a resolver
    that does not answer raises `DnsUnavailable` (the vendor may try again), never "no record"."""

    nameservers: tuple[str, ...] = ()
    port: int = 53
    lifetime: float = 5.0

    def _resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=not self.nameservers)
        if self.nameservers:
            resolver.nameservers = list(self.nameservers)
        resolver.port = self.port
        resolver.lifetime = self.lifetime
        return resolver

    def _records(self, name: str, rdtype: str) -> list[dns.resolver.Answer]:
        try:
            return [self._resolver().resolve(name, rdtype, search=False)]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as exc:
            raise DnsUnavailable(
                _("The domain name system did not answer for %(name)s; try again in a minute.") % {"name": name}
            ) from exc

    def txt(self, name: str) -> list[str]:
        # A TXT record is one or more character strings, joined as their owner meant them.
        return [
            b"".join(record.strings).decode("utf-8", "replace")
            for answer in self._records(name, "TXT") for record in answer
        ]

    def addresses(self, name: str) -> list[str]:
        found: list[str] = []
        for rdtype in ("A", "AAAA"):
            found += [record.address for answer in self._records(name, rdtype) for record in answer]
        return found


def default_resolver() -> Resolver:
    """The resolver the settings name (`DOMAIN_DNS_NAMESERVERS`, `DOMAIN_DNS_PORT`)."""
    return DnsPythonResolver(
        nameservers=tuple(settings.DOMAIN_DNS_NAMESERVERS), port=settings.DOMAIN_DNS_PORT,
        lifetime=settings.DOMAIN_DNS_TIMEOUT_SECONDS,
    )
