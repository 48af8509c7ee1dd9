from django.apps import AppConfig


class CirculationConfig(AppConfig):
    name = "toshokan.circulation"
    label = "circulation"
    verbose_name = "貸出・予約 Circulation"
