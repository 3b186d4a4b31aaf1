"""Property-based tests: the ledger under random money events, and commission resolution."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.money import percentage_of
from payouts.commissions import OrderLineInput, commission_for_line, commission_for_vendor_order
from payouts.ledger import postings as ledger
from payouts.ledger.selectors import (
    ledger_mismatches,
    platform_net_revenue,
    unbalanced_entries,
    vendor_balances,
)
from payouts.models import CommissionRule, JournalEntry, LedgerBalance
from payouts.services import commission_rule_create
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

share = st.tuples(st.integers(0, 1), st.integers(1, 200_000), st.integers(0, 3000))
event = st.one_of(
    st.tuples(st.just("pay"), st.lists(share, min_size=1, max_size=3), st.integers(0, 400)),
    st.tuples(st.just("transfer"), st.integers(0, 1)),
    st.tuples(st.just("payout"), st.integers(0, 1)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("chargeback"), st.integers(0, 50), st.booleans(), st.integers(0, 1500)),
)


class Model:
    """What the ledger must say, computed independently, plus the calls that produced it."""

    def __init__(self, vendor_ids: list[int], run: str) -> None:
        self.vendors = vendor_ids
        self.run = run
        self.pending = dict.fromkeys(vendor_ids, 0)
        self.available = dict.fromkeys(vendor_ids, 0)
        self.paid_out = dict.fromkeys(vendor_ids, 0)
        self.disputed: set[int] = set()
        self.orders: list[list[tuple[int, int, int]]] = []
        self.closed: set[int] = set()
        self.commissions = self.fees = self.losses = 0
        self.calls: list[tuple[object, dict]] = []
        self.counter = itertools.count()

    def call(self, function, **kwargs) -> None:
        kwargs["key"] = f"{self.run}:{next(self.counter)}"
        function(**kwargs)
        self.calls.append((function, kwargs))

    def apply(self, op: tuple) -> None:
        kind = op[0]
        if kind == "pay":
            shares = [(self.vendors[v], gross, percentage_of(gross, bp)) for v, gross, bp in op[1]]
            total = sum(gross for _, gross, _ in shares)
            fee = min(op[2], total)
            self.call(ledger.post_payment_captured, order_id=len(self.orders), amount=total,
                      currency="EUR", vendor_shares=shares, stripe_fee=fee)
            for vendor, gross, commission in shares:
                self.pending[vendor] += gross - commission
            self.commissions += sum(c for _, _, c in shares)
            self.fees += fee
            self.orders.append(shares)
        elif kind == "transfer":
            vendor = self.vendors[op[1]]
            if self.pending[vendor] > 0:
                amount = self.pending[vendor]
                self.call(ledger.post_transfer, vendor_id=vendor, amount=amount, currency="EUR",
                          transfer_id=f"tr{len(self.calls)}")
                self.pending[vendor] -= amount
                self.available[vendor] += amount
        elif kind == "payout":
            vendor = self.vendors[op[1]]
            if self.available[vendor] > 0:
                amount = self.available[vendor]
                self.call(ledger.post_payout, vendor_id=vendor, amount=amount, currency="EUR",
                          payout_id=f"po{len(self.calls)}")
                self.available[vendor] = 0
                self.paid_out[vendor] += amount
        elif kind == "refund":
            index = op[1]
            if index >= len(self.orders) or index in self.closed:
                return
            refund_commission = op[2]
            shares = self.orders[index]
            owed = {}
            for vendor, gross, commission in shares:
                owed[vendor] = owed.get(vendor, 0) + (gross - commission if refund_commission
                                                      else gross)
            if any(self.pending[v] + self.available[v] < need for v, need in owed.items()):
                return  # already paid out: a real refund would wait for a claim; skip
            for vendor, need in owed.items():
                shortfall = need - self.pending[vendor]
                if shortfall > 0:
                    self.call(ledger.post_transfer_reversed, vendor_id=vendor, amount=shortfall,
                              currency="EUR", transfer_id=f"trr{len(self.calls)}")
                    self.available[vendor] -= shortfall
                    self.pending[vendor] += shortfall
            self.call(ledger.post_refund, order_id=index, refund_id=f"re{index}",
                      currency="EUR", vendor_shares=shares, refund_commission=refund_commission)
            for vendor, need in owed.items():
                self.pending[vendor] -= need
            if refund_commission:
                self.losses += sum(c for _, _, c in shares)
            self.closed.add(index)
        elif kind == "chargeback":
            _, index, won, fee = op
            if index >= len(self.orders) or index in self.closed:
                return
            shares = self.orders[index]
            amount = sum(gross for _, gross, _ in shares)
            recoveries: dict[int, int] = {}
            for vendor, gross, commission in shares:
                recoveries[vendor] = recoveries.get(vendor, 0) + gross - commission
            pairs = sorted(recoveries.items())
            dispute = f"dp{index}"
            self.call(ledger.post_chargeback_opened, dispute_id=dispute, amount=amount,
                      currency="EUR", dispute_fee=fee, vendor_recoveries=pairs)
            self.fees += fee
            for vendor, recovered in pairs:
                self.pending[vendor] -= recovered
                self.disputed.add(vendor)
            if won:
                self.call(ledger.post_chargeback_won, dispute_id=dispute, amount=amount,
                          currency="EUR", vendor_recoveries=pairs)
                for vendor, recovered in pairs:
                    self.pending[vendor] += recovered
            else:
                self.call(ledger.post_chargeback_lost, dispute_id=dispute, amount=amount,
                          currency="EUR", vendor_recoveries=pairs)
                self.losses += amount - sum(r for _, r in pairs)
            self.closed.add(index)


def _snapshot() -> tuple:
    return (
        JournalEntry.objects.count(),
        sorted(LedgerBalance.objects.values_list("account_id", "balance", "posting_count")),
    )


@pytest.fixture
def two_vendors():
    return [VendorFactory().pk, VendorFactory().pk]


@SETTINGS
@given(ops=st.lists(event, min_size=1, max_size=25))
def test_ledger_invariants_under_random_money_events(two_vendors, ops):
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Fire the deferred balance triggers at each statement, not at a commit that a
            # rolled-back test never reaches.
            cursor.execute("SET CONSTRAINTS payouts_posting_entry_balanced IMMEDIATE")
        model = Model(two_vendors, uuid.uuid4().hex)
        for op in ops:
            model.apply(op)

        assert unbalanced_entries() == []
        assert ledger_mismatches() == []
        for vendor in two_vendors:
            balances = vendor_balances(vendor_id=vendor, currency="EUR")
            assert balances["pending"] == model.pending[vendor]
            assert balances["available"] == model.available[vendor]
            assert balances["paid_out"] == model.paid_out[vendor]
            assert balances["reserved"] == 0  # every dispute in the model is closed
            if vendor not in model.disputed:
                assert balances["pending"] >= 0
            assert balances["available"] >= 0
        assert platform_net_revenue(currency="EUR") == model.commissions - model.fees - model.losses

        # Replaying every call (a webhook storm) changes nothing.
        before = _snapshot()
        for function, kwargs in model.calls:
            function(**kwargs)
        assert _snapshot() == before
        transaction.set_rollback(True)


T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
rule_spec = st.tuples(
    st.sampled_from(["platform", "category", "vendor", "vendor_category"]),
    st.sampled_from([1, 2, 3, 4]),  # category (4 is outside the chain)
    st.booleans(),  # for the tested vendor or another
    st.integers(0, 10000),
)
PRIORITY = {"vendor_category": 0, "vendor": 1, "category": 2, "platform": 3}


@SETTINGS
@given(specs=st.lists(rule_spec, min_size=1, max_size=10), unit=st.integers(0, 10**7),
       qty=st.integers(1, 20))
def test_most_specific_rule_always_wins(two_vendors, specs, unit, qty):
    vendor, other = two_vendors
    chain = [3, 2, 1]  # the line's category 3, parent 2, grandparent 1
    with transaction.atomic():
        created = {}
        for scope, category, mine, rate in specs:
            vendor_id = (vendor if mine else other) if scope.startswith("vendor") else None
            category_id = category if "category" in scope else None
            target = (scope, vendor_id, category_id)
            if target in created:
                continue
            created[target] = commission_rule_create(
                created_by=None, scope=scope, vendor_id=vendor_id, category_id=category_id,
                currency="EUR", rate_bp=rate, valid_from=T0,
            )
        applicable = [
            (PRIORITY[scope], chain.index(cat) if cat in chain else 0, rule)
            for (scope, vendor_id, cat), rule in created.items()
            if vendor_id in (None, vendor) and (cat is None or cat in chain)
        ]
        at = T0 + dt.timedelta(hours=1)
        if not applicable:
            with pytest.raises(Exception, match="No commission rule"):
                commission_for_line(vendor_id=vendor, category_id=3, category_ancestor_ids=[2, 1],
                                    unit_amount=unit, quantity=qty, currency="EUR", at=at)
        else:
            expected = min(applicable, key=lambda item: (item[0], item[1]))[2]
            quote = commission_for_line(vendor_id=vendor, category_id=3,
                                        category_ancestor_ids=[2, 1], unit_amount=unit,
                                        quantity=qty, currency="EUR", at=at)
            assert quote.rule_id == expected.pk
            assert quote.amount == min(percentage_of(unit * qty, expected.rate_bp), unit * qty)
            assert 0 <= quote.amount <= unit * qty
        transaction.set_rollback(True)


@SETTINGS
@given(units=st.lists(st.integers(1, 10**6), min_size=1, max_size=8),
       fee=st.integers(0, 10**5), rate=st.integers(0, 10000))
def test_per_order_fee_split_sums_exactly(two_vendors, units, fee, rate):
    with transaction.atomic():
        commission_rule_create(created_by=None, scope="vendor", vendor_id=two_vendors[0],
                               currency="EUR", rate_bp=rate, fixed_amount=fee, fixed_per="order",
                               valid_from=T0)
        lines = [OrderLineInput(None, [], unit, 1) for unit in units]
        quotes = commission_for_vendor_order(vendor_id=two_vendors[0], currency="EUR",
                                             lines=lines, at=T0 + dt.timedelta(days=1))
        per_line = [min(percentage_of(unit, rate), unit) for unit in units]
        assert sum(q.amount for q in quotes) == sum(per_line) + fee
        assert all(q.rule_id == quotes[0].rule_id for q in quotes)
        assert CommissionRule.objects.count() >= 1
        transaction.set_rollback(True)
