from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"

    def ready(self):
        from . import accounts  # noqa: F401 - connects the account lifecycle receivers
