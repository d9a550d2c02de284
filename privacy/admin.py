"""The contact admin page, with the person's two rights as buttons: "Export data" (a ZIP
download) and "Erase" (a confirmation page, then the erasure). The core's ContactAdmin is reused
as it is and registered again here, so the core never knows of this app."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.actors import Actor
from conversations.admin.contacts import ContactAdmin
from conversations.models import Contact, Conversation
from conversations.refusals import Refused

from .models import ContactErasure, RetentionPolicy
from .services import erase_contact, export_contact


class PrivacyContactAdmin(ContactAdmin):
    change_form_template = "admin/privacy/contact_change_form.html"

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<int:contact_id>/export/", wrap(self.export_view), name="privacy_contact_export"),
            path("<int:contact_id>/erase/", wrap(self.erase_view), name="privacy_contact_erase"),
            *super().get_urls(),
        ]

    def _contact(self, request: HttpRequest, contact_id: int) -> Contact:
        contact = Contact.objects.filter(pk=contact_id).first()
        if contact is None:
            raise Http404("No such contact.")
        return contact

    def export_view(self, request: HttpRequest, contact_id: int) -> HttpResponse:
        contact = self._contact(request, contact_id)
        if not self.has_view_permission(request, contact):
            raise PermissionDenied
        try:
            archive = export_contact(
                contact=contact, actor=Actor.administrator(request.user), request=request
            )
        except Refused as refused:
            self.message_user(request, refused.detail, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:conversations_contact_change", args=[contact.pk]))
        return FileResponse(archive.file, as_attachment=True, filename=archive.file_name)

    def erase_view(self, request: HttpRequest, contact_id: int) -> HttpResponse:
        contact = self._contact(request, contact_id)
        if not self.has_delete_permission(request, contact):
            raise PermissionDenied
        change_url = reverse("admin:conversations_contact_change", args=[contact.pk])
        if request.method == "POST":
            try:
                erasure = erase_contact(
                    contact=contact, actor=Actor.administrator(request.user), request=request
                )
            except Refused as refused:
                self.message_user(request, refused.detail, messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.message_user(
                request,
                f"Contact #{contact.pk} erased: {erasure.messages} messages blanked, "
                f"{erasure.files} files deleted.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "contact": contact,
            "erased": ContactErasure.objects.filter(contact=contact).first(),
            "unresolved": Conversation.objects.filter(contact=contact)
            .exclude(status=Conversation.Status.RESOLVED)
            .count(),
            "title": f"Erase contact #{contact.pk}",
        }
        return TemplateResponse(request, "admin/privacy/erase_confirmation.html", context)


admin.site.unregister(Contact)
admin.site.register(Contact, PrivacyContactAdmin)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """One policy per inbox: its resolved conversations are anonymised or deleted after `days`
    (privacy.retention, docs/privacy.md "Retention"). The form refuses fewer than one day."""

    list_display = ("inbox", "days", "mode")
    list_select_related = ("inbox",)
    list_filter = ("mode",)
