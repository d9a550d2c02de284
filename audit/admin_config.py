"""Django's admin with the audited site as its default (audit.admin_site); named in INSTALLED_APPS
in place of "django.contrib.admin". A module of its own: it is imported before models are."""

from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    default_site = "audit.admin_site.AuditedAdminSite"
