"""Form fields every admin shares: links are https unless typed otherwise, and JSON is read
through the input boundary. Other apps' admins use these too (`formfield_overrides = FORM_FIELDS`)."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import JSONField, URLField
from django.forms.fields import InvalidJSONInput

from ..boundary import BadInput, read_json


class StorableJSONFormField(forms.JSONField):
    """A JSON field read through the input boundary: too deep, `NaN`, or text Postgres cannot
    store (NUL, an unpaired surrogate) is an error on the field, never a 500 at save."""

    def to_python(self, value):
        if not self.disabled and isinstance(value, str) and value.strip():
            try:
                read_json(value)
            except BadInput as bad:
                raise ValidationError(str(bad), code="invalid") from None
        return super().to_python(value)

    def bound_data(self, data, initial):
        """A refused value is shown again as typed (its escapes as text), never re-encoded."""
        if not self.disabled and isinstance(data, str):
            try:
                read_json(data)
            except BadInput:
                return InvalidJSONInput(data)
        return super().bound_data(data, initial)


# Links typed without a scheme are web addresses: https, as Django 6 will assume.
# Every admin's form fields: links are https unless typed otherwise, JSON goes through the boundary.
FORM_FIELDS = {URLField: {"assume_scheme": "https"}, JSONField: {"form_class": StorableJSONFormField}}
