from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeletedRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("record_id", models.BigIntegerField(unique=True)),
                ("source", models.CharField(max_length=32)),
                ("source_key", models.CharField(max_length=255)),
                ("ndc", models.CharField(blank=True, max_length=32)),
                ("deleted_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "削除された書誌",
                "verbose_name_plural": "削除された書誌",
                "indexes": [models.Index(fields=["deleted_at", "record_id"], name="deleted_record_changed")],
            },
        ),
        migrations.AddIndex(
            model_name="record",
            index=models.Index(fields=["updated_at", "id"], name="record_changed"),
        ),
    ]
