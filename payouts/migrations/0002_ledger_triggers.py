"""PostgreSQL enforcement of the ledger: append-only entries and postings, balance at commit,
and the running balance per account maintained in the same transaction as each posting."""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION payouts_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only: % on % is refused; post a reversing entry',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_posting_append_only
    BEFORE UPDATE OR DELETE ON payouts_posting
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_append_only();
CREATE TRIGGER payouts_journalentry_append_only
    BEFORE UPDATE OR DELETE ON payouts_journalentry
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_append_only();

-- At commit (deferred), every entry that received postings balances per currency, and each
-- posting's currency is its account's currency.
CREATE OR REPLACE FUNCTION payouts_ledger_entry_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced_currency text;
BEGIN
    SELECT p.currency INTO unbalanced_currency
      FROM payouts_posting p
     WHERE p.entry_id = NEW.entry_id
     GROUP BY p.currency
    HAVING SUM(p.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance in %', NEW.entry_id, unbalanced_currency
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM payouts_ledgeraccount a
                WHERE a.id = NEW.account_id AND a.currency <> NEW.currency) THEN
        RAISE EXCEPTION 'posting % currency % differs from its account''s', NEW.id, NEW.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payouts_posting_entry_balanced
    AFTER INSERT ON payouts_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_entry_balanced();

-- At commit, an entry has at least two postings.
CREATE OR REPLACE FUNCTION payouts_ledger_entry_has_postings() RETURNS trigger AS $$
BEGIN
    IF (SELECT COUNT(*) FROM payouts_posting p WHERE p.entry_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two postings', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payouts_journalentry_has_postings
    AFTER INSERT ON payouts_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_entry_has_postings();

-- Running balance per account, in the same transaction as the postings: one upsert per account
-- per INSERT statement (a per-row upsert rewrites the same row once per posting), in account
-- order so concurrent writers lock balance rows in the same order.
CREATE OR REPLACE FUNCTION payouts_ledger_balance_apply() RETURNS trigger AS $$
BEGIN
    INSERT INTO payouts_ledgerbalance (account_id, balance, posting_count)
    SELECT account_id, SUM(amount), COUNT(*) FROM new_postings
     GROUP BY account_id ORDER BY account_id
    ON CONFLICT (account_id) DO UPDATE
        SET balance = payouts_ledgerbalance.balance + EXCLUDED.balance,
            posting_count = payouts_ledgerbalance.posting_count + EXCLUDED.posting_count;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_posting_balance_apply
    AFTER INSERT ON payouts_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION payouts_ledger_balance_apply();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS payouts_posting_balance_apply ON payouts_posting;
DROP TRIGGER IF EXISTS payouts_journalentry_has_postings ON payouts_journalentry;
DROP TRIGGER IF EXISTS payouts_posting_entry_balanced ON payouts_posting;
DROP TRIGGER IF EXISTS payouts_journalentry_append_only ON payouts_journalentry;
DROP TRIGGER IF EXISTS payouts_posting_append_only ON payouts_posting;
DROP FUNCTION IF EXISTS payouts_ledger_balance_apply();
DROP FUNCTION IF EXISTS payouts_ledger_entry_has_postings();
DROP FUNCTION IF EXISTS payouts_ledger_entry_balanced();
DROP FUNCTION IF EXISTS payouts_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
