from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The wiring app: hosts the `serve` command and the health check; owns no models."""

    name = "config"
    verbose_name = "Parley wiring"
