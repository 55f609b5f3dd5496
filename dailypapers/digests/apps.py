from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "dailypapers.digests"
    label = "digests"
    verbose_name = "Email digests"

    def ready(self):
        from . import accounts  # noqa: F401 - connects the account export receiver
