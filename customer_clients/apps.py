from django.apps import AppConfig


class CustomerClientsConfig(AppConfig):
    name = "customer_clients"
    verbose_name = "Customer clients"
