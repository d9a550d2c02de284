"""What the widget's HTTP endpoints answer: JSON readable by the page that asked (CORS), no cookies."""

from django.http import HttpResponse, JsonResponse


def cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    """Let the asking page (Parley's frame, an allowed site or a refused one) read the answer."""
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def refusal(code: str, detail: str, status: int, origin: str | None) -> HttpResponse:
    return cors(JsonResponse({"error": code, "detail": detail}, status=status), origin)
