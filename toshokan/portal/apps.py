from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "toshokan.portal"
    label = "portal"
    verbose_name = "Portal"
