from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "toshokan.archive"
    label = "archive"
    verbose_name = "デジタルアーカイブ Digital archive"
