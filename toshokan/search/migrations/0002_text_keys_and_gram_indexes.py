"""The search table's second layout: match keys as plain text (a row a third as wide as with
positional tsvectors), found through GIN indexes over their character bigrams and characters.

The table holds derived data only, so it is dropped and made anew: run `manage.py rebuild_index`
after this migration when the PostgreSQL search backend is in use.
"""

import toshokan.search.models
from django.db import migrations, models

KEY_COLUMNS = ("title", "reading", "romaji", "creator", "creator_reading", "creator_romaji", "other")

# A key's bigrams and characters, as the GIN index and the queries see them. Two passes of a
# regular expression cut the text into pairs at even and at odd offsets (every pair once, plus
# the last character alone); string_to_array(t, NULL) adds every character. Pairs with the
# separator and the empty string come along and are never asked for. IMMUTABLE: the indexes
# store its results, so a change of body needs a REINDEX.
GRAMS_FUNCTIONS = [
    r"""
CREATE OR REPLACE FUNCTION toshokan_search_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT string_to_array(regexp_replace(t, '(..)', '\1 ', 'g'), ' ')
      || string_to_array(regexp_replace(substr(t, 2), '(..)', '\1 ', 'g'), ' ')
$$""",
    r"""
CREATE OR REPLACE FUNCTION toshokan_search_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT string_to_array(regexp_replace(t, '(..)', '\1 ', 'g'), ' ')
      || string_to_array(regexp_replace(substr(t, 2), '(..)', '\1 ', 'g'), ' ')
      || string_to_array(t, NULL)
$$""",
]


def _grams_function(column):
    # Romanised keys are never searched by one letter: their indexes keep bigrams only.
    return "toshokan_search_bigrams" if column.endswith("romaji") else "toshokan_search_grams"


POSTGRES_FORWARD = [
    *GRAMS_FUNCTIONS,
    # Bytewise collation: GIN compares the grams with memcmp instead of strcoll (twice as fast
    # to build), and the 五十音 sort is by code point, as the embedded engine sorts.
    *(f'ALTER TABLE search_document ALTER COLUMN {c} TYPE text COLLATE "C"' for c in KEY_COLUMNS),
    'ALTER TABLE search_document ALTER COLUMN sort_reading TYPE text COLLATE "C"',
    *(
        f"CREATE INDEX search_document_{c}_grams ON search_document USING gin ({_grams_function(c)}({c}))"
        for c in KEY_COLUMNS
    ),
    "CREATE INDEX search_document_identifiers_gin ON search_document USING gin (identifiers)",
]
POSTGRES_BACKWARD = [
    "DROP FUNCTION IF EXISTS toshokan_search_grams(text)",
    "DROP FUNCTION IF EXISTS toshokan_search_bigrams(text)",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _postgres(POSTGRES_BACKWARD), elidable=False),
        migrations.DeleteModel(name="IndexedDocument"),
        migrations.CreateModel(
            name="IndexedDocument",
            fields=[
                ("record_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("title", models.TextField()),
                ("reading", models.TextField()),
                ("romaji", models.TextField()),
                ("creator", models.TextField()),
                ("creator_reading", models.TextField()),
                ("creator_romaji", models.TextField()),
                ("other", models.TextField()),
                ("title_marked", models.TextField()),
                ("principal", models.TextField()),
                ("identifiers", toshokan.search.models.TextArrayField()),
                ("ndc", models.CharField(blank=True, max_length=3)),
                ("material_type", models.CharField(max_length=32)),
                ("language", models.CharField(blank=True, max_length=16)),
                ("branches", toshokan.search.models.TextArrayField()),
                ("available_at", toshokan.search.models.TextArrayField()),
                ("online", models.BooleanField(default=False)),
                ("year", models.IntegerField(null=True)),
                ("sort_reading", models.TextField()),
            ],
            options={
                "db_table": "search_document",
            },
        ),
        migrations.RunPython(_postgres(POSTGRES_FORWARD), migrations.RunPython.noop, elidable=False),
    ]
