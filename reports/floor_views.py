"""The live floor page and the fragment its socket asks for again on every change."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agents.selectors import sees_all_reports

from .floor import floor
from .views import tabs


def _supervisor(request: HttpRequest) -> None:
    if not sees_all_reports(request.user):
        raise PermissionDenied("The live floor is for supervisors and administrators.")


@login_required(login_url="desk:login")
def floor_page(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return render(
        request, "reports/floor.html", {"floor": floor(), "tabs": tabs(request, "floor", everyone=True)}
    )


@login_required(login_url="desk:login")
def floor_fragment(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return render(request, "reports/_floor.html", {"floor": floor()})
