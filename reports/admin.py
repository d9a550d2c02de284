"""The reports app's admin pages (Django's autodiscovery imports this module): the satisfaction
survey's, in reports/csat/admin.py, and the service-level policies', in reports/sla_admin.py."""

from . import sla_admin
from .csat import admin as csat_admin

__all__ = ["csat_admin", "sla_admin"]
