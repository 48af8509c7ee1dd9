from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "toshokan.federation"
    label = "federation"
    verbose_name = "横断検索 Live availability"
