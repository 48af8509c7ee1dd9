from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "toshokan.staff"
    label = "staff"
    verbose_name = "職員アカウント Staff accounts"
