"""The agent's choice of the desk's language (desk/language.py says how a request gets it)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agents.models import AgentProfile

from ..language import SHIPPED, remember_desk_language
from ..view_helpers import desk_view, refused


@require_POST
@desk_view
def desk_language_choose(request: HttpRequest) -> HttpResponse:
    """Saves the choice ("" for the browser's) and reloads the page, which then speaks it."""
    language = request.POST.get("language", "")
    if language and language not in SHIPPED:
        words = _("The desk does not speak %(language)s: choose one of the list.") % {
            "language": repr(language[:20])
        }
        return refused(ValidationError(words))
    AgentProfile.objects.update_or_create(user=request.user, defaults={"desk_language": language})
    remember_desk_language(request, language)
    response = HttpResponse(status=204)
    response["HX-Refresh"] = "true"
    return response
