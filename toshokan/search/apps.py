from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "toshokan.search"
    label = "search"
    verbose_name = "検索 Search"

    def ready(self) -> None:
        from toshokan.core import hooks

        from . import availability, services

        hooks.on_records_changed(services.records_changed)
        hooks.on_availability_changed(availability.changed)
