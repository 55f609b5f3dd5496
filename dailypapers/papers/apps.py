from django.apps import AppConfig
from django.urls import register_converter


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    label = "papers"

    def ready(self):
        from .converters import NameConverter

        # Before any URLconf loads: the papers, accounts and community routes spell names <name:…>.
        register_converter(NameConverter, "name")
