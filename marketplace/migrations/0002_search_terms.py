"""Search at scale (ADR 0035): the typo corrector's vocabulary (`SearchTerm`), kept in step with
listings by triggers, and a `jsonb_path_ops` index for attribute filters."""

import django.contrib.postgres.indexes
from django.db import migrations, models


# The words of a listing's title, category names and vendor name: lower-cased, unaccented, letters
# only, 3-40 characters. Numbers and SKU-like tokens are left out (nobody misspells them usefully).
WORDS = (
    "regexp_split_to_table(lower(unaccent(coalesce(n.title, '') || ' ' || coalesce(n.category_text, '') "
    "|| ' ' || coalesce(n.vendor_name, ''))), '[^[:alpha:]]+')"
)

COLLECT = f"""
CREATE FUNCTION marketplace_searchterm_collect() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO marketplace_searchterm (word)
        SELECT DISTINCT w FROM new_rows n, {WORDS} AS w
        WHERE length(w) BETWEEN 3 AND 40 ORDER BY w
        ON CONFLICT DO NOTHING;
    ELSE
        -- Only rows whose words changed (visibility flips and stock updates touch many rows).
        INSERT INTO marketplace_searchterm (word)
        SELECT DISTINCT w FROM new_rows n JOIN old_rows o ON o.id = n.id, {WORDS} AS w
        WHERE (n.title, n.category_text, n.vendor_name) IS DISTINCT FROM (o.title, o.category_text, o.vendor_name)
          AND length(w) BETWEEN 3 AND 40 ORDER BY w
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER marketplace_listing_terms_insert AFTER INSERT ON marketplace_listing
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION marketplace_searchterm_collect();
CREATE TRIGGER marketplace_listing_terms_update AFTER UPDATE ON marketplace_listing
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION marketplace_searchterm_collect();
INSERT INTO marketplace_searchterm (word)
SELECT DISTINCT w FROM marketplace_listing n, {WORDS} AS w WHERE length(w) BETWEEN 3 AND 40
ON CONFLICT DO NOTHING;
"""

UNCOLLECT = """
DROP TRIGGER IF EXISTS marketplace_listing_terms_insert ON marketplace_listing;
DROP TRIGGER IF EXISTS marketplace_listing_terms_update ON marketplace_listing;
DROP FUNCTION IF EXISTS marketplace_searchterm_collect();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchTerm',
            fields=[
                ('word', models.CharField(max_length=40, primary_key=True, serialize=False)),
            ],
            options={
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['word'], name='searchterm_word_trgm', opclasses=['gin_trgm_ops'])],
            },
        ),
        migrations.RunSQL(COLLECT, reverse_sql=UNCOLLECT),
        # Attribute filters are `@>` only: jsonb_path_ops reads one posting list per key/value pair.
        migrations.RemoveIndex(
            model_name='listing',
            name='listing_attributes',
        ),
        migrations.AddIndex(
            model_name='listing',
            index=django.contrib.postgres.indexes.GinIndex(
                fields=['attributes'], name='listing_attributes_path', opclasses=['jsonb_path_ops']),
        ),
    ]
