"""How the knowledge base's admin saves: never by the ModelForm, always by one service call, so what
the admin stores is validated and indexed as from any other door. A service's refusal shows on the
form's field it names."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponseRedirect


def show_refusal(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's refusal on the form's own fields, or above the form for a field it lacks."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def checked_fields(form: forms.ModelForm, names: tuple[str, ...]) -> dict[str, object]:
    """The named fields to validate: all of them for a new record, the changed ones otherwise. A
    blank slug means "make one" for a new record and "keep it" for an existing one."""
    adding = form.instance.pk is None
    fields = {
        name: form.cleaned_data[name]
        for name in names
        if name in form.cleaned_data and (adding or name in form.changed_data)
    }
    if "slug" in fields and not fields["slug"]:
        if adding:
            fields["slug"] = None
        else:
            del fields["slug"]
    return fields


def adopt(record: Model, saved: Model) -> None:
    """Make the admin's unsaved form instance the record a service saved (the admin logs it and
    redirects to it)."""
    record.pk = saved.pk
    record._state.adding = False
    record.refresh_from_db()


class SavedThroughServices(admin.ModelAdmin):
    """save_model stores nothing: save_related, which sees the inlines too, makes the one service
    call (inside the transaction the admin holds for the whole form)."""

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        pass

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        adopt(form.instance, self.save_through_services(request, form, formsets, change))

    def save_through_services(self, request: HttpRequest, form, formsets, change: bool) -> Model:
        raise NotImplementedError

    def construct_change_message(self, request: HttpRequest, form, formsets, add: bool = False):
        return super().construct_change_message(request, form, None, add)  # inlines were not form-saved

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The form passed the same checks a moment earlier: a concurrent change refused it.
            self.message_user(request, f"Not saved: {' '.join(error.messages)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
