"""The audit log in the admin: read only (nobody adds, edits or deletes an entry, not even a
superuser), searchable by actor, action and target, filtered by action, actor kind and date, and
exported as CSV or JSON Lines exactly as filtered; the export is itself an entry."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from .actors import Actor, Target
from .export import FORMATS, export_batches, export_stream
from .models import Action, AuditEntry
from .services import record

FORMAT_PARAMETER = "format"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_kind", "actor_label", "action", "target_type", "target_label", "ip")
    list_filter = ("action", "actor_kind", ("at", admin.DateFieldListFilter))
    search_fields = (
        "actor_label",
        "=actor_id",
        "action",
        "target_label",
        "=target_type",
        "=target_id",
        "=ip",
        "=request_id",
    )
    search_help_text = (
        "An actor's or target's name or id, an action (conversation.merged), an IP or a request id."
    )
    list_per_page = 100
    show_full_result_count = False  # a long log: no second COUNT(*) of the whole table per page
    change_list_template = "admin/audit/auditentry/change_list.html"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="audit_auditentry_export"), *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The list as filtered and searched on the page (its query string), every page of it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        file_format = request.GET.get(FORMAT_PARAMETER, "csv")
        if file_format not in FORMATS:
            return HttpResponse("Export as csv or jsonl.", status=400, content_type="text/plain")
        query = request.GET.copy()
        query.pop(FORMAT_PARAMETER, None)
        request.GET = query  # the change list reads its filters from here
        entries = self.get_changelist_instance(request).get_queryset(request)
        record(
            actor=Actor.administrator(request.user),
            action=Action.AUDIT_EXPORTED,
            target=Target("audit.auditentry", "", "audit log"),
            details={"format": file_format, "filters": query.urlencode(), "count": entries.count()},
            request=request,
        )
        under_asgi = isinstance(request, ASGIRequest)  # Daphne sends the body from its event loop
        pieces = (export_stream if under_asgi else export_batches)(entries, file_format)
        response = StreamingHttpResponse(pieces, content_type=FORMATS[file_format])
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="parley-audit-{stamp}.{file_format}"'
        return response
