from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "toshokan.core"
    label = "core"
    verbose_name = "toshokan core"
