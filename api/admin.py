"""API tokens have no admin page: an agent makes and replaces their own (POST /api/v1/profile/token),
an administrator runs `manage.py drf_create_token <username>` (`-r` replaces it), and deactivating
a user stops their token at once. DRF's token admin would be a page of secrets listed in the
clear, for no task that needs one."""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

if admin.site.is_registered(TokenProxy):  # registered by rest_framework.authtoken, listed before us
    admin.site.unregister(TokenProxy)
