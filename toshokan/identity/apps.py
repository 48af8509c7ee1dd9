from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "toshokan.identity"
    label = "identity"
    verbose_name = "本人確認 Identity (JPKI)"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy check)
