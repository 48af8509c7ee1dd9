from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "toshokan.passkeys"
    label = "passkeys"
    verbose_name = "パスキー Passkeys"
