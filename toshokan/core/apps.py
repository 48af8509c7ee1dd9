from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "toshokan.core"
    label = "core"
    verbose_name = "toshokan core"

    def ready(self) -> None:
        from . import auth_audit

        auth_audit.connect()
