from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "toshokan.notices"
    label = "notices"
    verbose_name = "通知 Notices"
