from django.apps import AppConfig


class PatronsConfig(AppConfig):
    name = "toshokan.patrons"
    label = "patrons"
    verbose_name = "利用者 Patrons"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
