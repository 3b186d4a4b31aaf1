"""Every permission check of accounts.roles and accounts.permissions, role by role: who passes,
who is refused and how (each case kills mutants of the permission module; docs/mutation.md)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from rest_framework.test import APIRequestFactory

from accounts import roles
from accounts.permissions import (
    CanIssueRefunds,
    IsFinance,
    IsPlatformAdmin,
    IsVendorManager,
    IsVendorOwner,
    IsVendorStaff,
    MfaRequired,
    current_vendor,
    ops_required,
    vendor_member_required,
)
from tests.factories import UserFactory
from tests.factories.vendors import MembershipFactory

pytestmark = pytest.mark.django_db

RANKS = ["staff", "manager", "owner"]


@pytest.fixture
def members(vendor_a: Any) -> dict[str, Any]:
    """A staff member, a manager and the owner of vendor A, plus outsiders."""
    people = {role: MembershipFactory(vendor=vendor_a, role=role).user for role in ("staff", "manager")}
    people["owner"] = vendor_a.memberships.get(role="owner").user
    people["buyer"] = UserFactory()
    people["former"] = MembershipFactory(vendor=vendor_a, role="manager", is_active=False).user
    people["inactive_owner"] = MembershipFactory(vendor=vendor_a, role="owner",
                                                 user=UserFactory(is_active=False)).user
    return people


@pytest.fixture
def staff() -> dict[str, Any]:
    return {
        "admin": UserFactory(platform_role="admin"),
        "admin_no_mfa": UserFactory(platform_role="admin", totp=False),
        "superuser": UserFactory(is_superuser=True),
        "finance": UserFactory(platform_role="finance"),
        "finance_no_mfa": UserFactory(platform_role="finance", totp=False),
        "inactive_admin": UserFactory(platform_role="admin", is_active=False),
        "inactive_finance": UserFactory(platform_role="finance", is_active=False),
        "buyer": UserFactory(),
    }


def test_platform_roles(staff: dict[str, Any]) -> None:
    admins = {name for name, user in staff.items() if roles.is_platform_admin(user)}
    assert admins == {"admin", "admin_no_mfa", "superuser"}
    finance = {name for name, user in staff.items() if roles.is_finance(user)}
    assert finance == {"admin", "admin_no_mfa", "superuser", "finance", "finance_no_mfa"}
    ops = {name for name, user in staff.items() if roles.can_access_ops(user)}
    assert ops == finance
    for check in (roles.is_platform_admin, roles.is_finance, roles.can_access_ops):
        assert check(AnonymousUser()) is False and check(None) is False


def test_admin_powers_need_two_factor_when_staff_must_have_it(staff: dict[str, Any], settings: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    acting = {name for name, user in staff.items() if roles.acts_as_platform_admin(user)}
    assert acting == {"admin"}
    missing = {name for name, user in staff.items() if roles.staff_mfa_missing(user)}
    assert missing == {"admin_no_mfa", "finance_no_mfa", "superuser"}
    for check in (roles.can_review_applications, roles.can_review_risky_orders):
        assert {name for name, user in staff.items() if check(user)} == {"admin"}
    settings.PLATFORM_STAFF_REQUIRE_MFA = False
    assert not any(roles.staff_mfa_missing(user) for user in staff.values())
    acting = {name for name, user in staff.items() if roles.acts_as_platform_admin(user)}
    assert acting == {"admin", "admin_no_mfa", "superuser"}


def test_vendor_roles_and_their_ranks(members: dict[str, Any], vendor_a: Any, vendor_b: Any) -> None:
    assert {name: roles.vendor_role(user, vendor_a) for name, user in members.items()} == {
        "staff": "staff", "manager": "manager", "owner": "owner", "buyer": None, "former": None,
        "inactive_owner": None,
    }
    assert roles.vendor_role(members["owner"], vendor_b) is None
    assert roles.vendor_role(members["owner"], None) is None
    assert roles.vendor_role(AnonymousUser(), vendor_a) is None
    for held in RANKS:
        for minimum in RANKS:
            expected = RANKS.index(held) >= RANKS.index(minimum)
            assert roles.has_vendor_role(members[held], vendor_a, minimum) is expected, (held, minimum)
            assert roles.has_vendor_role(members[held], vendor_b, minimum) is False
        assert roles.has_vendor_role(members["buyer"], vendor_a, "staff") is False
    assert roles.has_vendor_role(members["staff"], vendor_a) is True  # the default minimum is staff


def test_the_role_is_read_once_per_user_object(members: dict[str, Any], vendor_a: Any,
                                               django_assert_num_queries: Any) -> None:
    user = members["manager"]
    with django_assert_num_queries(1):
        assert roles.vendor_role(user, vendor_a) == "manager"
        assert roles.vendor_role(user, vendor_a) == "manager"


@pytest.mark.parametrize(("check", "allowed"), [
    (roles.can_manage_catalog, {"staff", "manager", "owner"}),
    (roles.can_manage_store_settings, {"manager", "owner"}),
    (roles.can_see_vendor_money, {"manager", "owner"}),
    (roles.can_issue_refunds, {"manager", "owner"}),
    (roles.can_manage_members, {"owner"}),
])
def test_vendor_abilities(check: Any, allowed: set[str], members: dict[str, Any], vendor_a: Any,
                          vendor_b: Any) -> None:
    assert {name for name, user in members.items() if check(user, vendor_a)} == allowed
    assert not any(check(user, vendor_b) for user in members.values())


def test_onboarding_retry_and_documents(members: dict[str, Any], staff: dict[str, Any], vendor_a: Any,
                                        settings: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    retry = {name for name, user in {**members, **staff}.items() if roles.can_retry_onboarding(user, vendor_a)}
    assert retry == {"owner", "admin"}
    application = SimpleNamespace(applicant_id=members["staff"].pk)
    readers = {name for name, user in {**members, **staff}.items()
               if roles.can_download_application_document(user, application)}
    assert readers == {"staff", "admin"}
    assert roles.can_download_application_document(AnonymousUser(), application) is False
    inactive = UserFactory(is_active=False)
    assert roles.can_download_application_document(inactive, SimpleNamespace(applicant_id=inactive.pk)) is False


def _api_request(user: Any, vendor: Any = None, *, tenant: bool = True) -> Any:
    request = APIRequestFactory().get("/")
    request.user = user
    if tenant:
        request.tenant = SimpleNamespace(vendor=vendor)
    return request


def test_current_vendor(vendor_a: Any) -> None:
    assert current_vendor(_api_request(None, vendor_a)) == vendor_a
    assert current_vendor(_api_request(None, tenant=False)) is None
    request = _api_request(None, tenant=False)
    request.tenant = None
    assert current_vendor(request) is None


def test_vendor_permission_classes(members: dict[str, Any], vendor_a: Any, vendor_b: Any) -> None:
    expected = {IsVendorStaff: {"staff", "manager", "owner"}, IsVendorManager: {"manager", "owner"},
                CanIssueRefunds: {"manager", "owner"}, IsVendorOwner: {"owner"}}
    for permission, allowed in expected.items():
        passed = {name for name, user in members.items()
                  if permission().has_permission(_api_request(user, vendor_a), None)}
        assert passed == allowed, permission.__name__
        assert not any(permission().has_permission(_api_request(user, vendor_b), None)
                       for user in members.values())
        assert not permission().has_permission(_api_request(members["owner"], None), None)
    assert IsVendorManager.__name__ == "HasVendorRole_manager"


def test_staff_permission_classes(staff: dict[str, Any], settings: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    assert IsPlatformAdmin().has_permission(_api_request(staff["admin"]), None) is True
    assert IsFinance().has_permission(_api_request(staff["finance"]), None) is True
    assert IsFinance().has_permission(_api_request(staff["admin"]), None) is True
    assert IsPlatformAdmin().has_permission(_api_request(staff["finance"]), None) is False
    assert IsFinance().has_permission(_api_request(staff["buyer"]), None) is False
    for permission in (IsPlatformAdmin, IsFinance):
        with pytest.raises(MfaRequired):
            permission().has_permission(_api_request(staff["finance_no_mfa"]), None)


def _page_request(user: Any, vendor: Any = None) -> Any:
    request = APIRequestFactory().get("/some/page/?x=1")
    request.user = user
    request.tenant = SimpleNamespace(vendor=vendor)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _view(request: Any) -> HttpResponse:
    return HttpResponse("inside")


def test_ops_required(staff: dict[str, Any], settings: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    view = ops_required()(_view)
    assert view(_page_request(staff["finance"])).content == b"inside"
    anonymous = view(_page_request(AnonymousUser()))
    assert anonymous.status_code == 302 and "next=/some/page/%3Fx%3D1" in anonymous["Location"]
    unsafe = view(_page_request(staff["admin_no_mfa"]))
    assert unsafe.status_code == 302 and "totp" in unsafe["Location"]
    with pytest.raises(PermissionDenied):
        view(_page_request(staff["buyer"]))
    admins_only = ops_required(roles.is_platform_admin)(_view)
    with pytest.raises(PermissionDenied):
        admins_only(_page_request(staff["finance"]))
    assert admins_only(_page_request(staff["admin"])).content == b"inside"


def test_vendor_member_required(members: dict[str, Any], vendor_a: Any) -> None:
    view = vendor_member_required()(_view)
    managers = vendor_member_required("manager")(_view)
    assert view(_page_request(members["staff"], vendor_a)).content == b"inside"
    assert managers(_page_request(members["owner"], vendor_a)).content == b"inside"
    with pytest.raises(PermissionDenied):
        managers(_page_request(members["staff"], vendor_a))
    for outsider in (members["buyer"], members["former"]):
        with pytest.raises(Http404):
            view(_page_request(outsider, vendor_a))
    with pytest.raises(Http404):
        view(_page_request(members["owner"], None))
    anonymous = view(_page_request(AnonymousUser(), vendor_a))
    assert anonymous.status_code == 302 and "next=/some/page/" in anonymous["Location"]


def test_decorated_views_keep_their_name_and_attributes() -> None:
    """URL names, CSRF exemption and admin docs read the view function's attributes."""
    for decorated in (ops_required()(_view), vendor_member_required()(_view)):
        assert decorated.__name__ == "_view" and decorated.__wrapped__ is _view  # type: ignore[attr-defined]
