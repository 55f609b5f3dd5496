from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dailypapers.accounts"
    label = "accounts"
