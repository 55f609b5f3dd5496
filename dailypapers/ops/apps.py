from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the site: serve, worker, health, backups, security headers, logging."""

    name = "dailypapers.ops"
    label = "ops"
