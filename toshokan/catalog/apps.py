from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "toshokan.catalog"
    label = "catalog"
    verbose_name = "目録 Catalogue"
