import toshokan.search.models
from django.db import migrations, models

# PostgreSQL only: GIN indexes on the bigram tsvectors and the identifiers, and byte-order
# (code point) sorting of the 五十音 key, as the embedded engine sorts it. Other databases keep
# the plain table, which nothing reads there.
TSVECTOR_COLUMNS = ("title", "reading", "romaji", "creator", "creator_reading", "creator_romaji", "other")
POSTGRES_FORWARD = [
    'ALTER TABLE search_document ALTER COLUMN sort_reading TYPE text COLLATE "C"',
    *(
        f"CREATE INDEX search_document_{column}_gin ON search_document USING gin ({column})"
        for column in TSVECTOR_COLUMNS
    ),
    "CREATE INDEX search_document_identifiers_gin ON search_document USING gin (identifiers)",
]
POSTGRES_BACKWARD = [
    *(f"DROP INDEX IF EXISTS search_document_{column}_gin" for column in TSVECTOR_COLUMNS),
    "DROP INDEX IF EXISTS search_document_identifiers_gin",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='IndexedDocument',
            fields=[
                ('record_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('title', toshokan.search.models.TsVectorField()),
                ('title_marked', toshokan.search.models.TsVectorField()),
                ('reading', toshokan.search.models.TsVectorField()),
                ('romaji', toshokan.search.models.TsVectorField()),
                ('creator', toshokan.search.models.TsVectorField()),
                ('creator_reading', toshokan.search.models.TsVectorField()),
                ('creator_romaji', toshokan.search.models.TsVectorField()),
                ('other', toshokan.search.models.TsVectorField()),
                ('principal', toshokan.search.models.TextArrayField()),
                ('identifiers', toshokan.search.models.TextArrayField()),
                ('ndc', models.CharField(blank=True, max_length=3)),
                ('material_type', models.CharField(max_length=32)),
                ('language', models.CharField(blank=True, max_length=16)),
                ('branches', toshokan.search.models.TextArrayField()),
                ('available_at', toshokan.search.models.TextArrayField()),
                ('online', models.BooleanField(default=False)),
                ('year', models.IntegerField(null=True)),
                ('sort_reading', models.TextField()),
            ],
            options={
                'db_table': 'search_document',
            },
        ),
        migrations.RunPython(_postgres(POSTGRES_FORWARD), _postgres(POSTGRES_BACKWARD), elidable=False),
    ]
