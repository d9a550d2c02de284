"""What the widget's HTTP endpoints answer: JSON readable by the page that asked (CORS), no cookies."""

from django.http import HttpRequest, HttpResponse, JsonResponse

from conversations.boundary import BadInput, read_json, replace_unstorable, storable_tree


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


class Answered(Exception):
    """The request is answered already (a preflight, or a refusal): return `response`."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def json_post(request: HttpRequest, *, max_bytes: int, lenient_key: str = "") -> dict:
    """The JSON object a page POSTed, or Answered with what ends the request: 204 to the CORS
    preflight, 405 to another method, 413 to a body over `max_bytes`, 400 to what is not a JSON
    object or holds a value the input boundary refuses (conversations.boundary). Text Postgres
    cannot store under the top-level `lenient_key` (what a browser says of its page: a title cut
    inside an emoji) is replaced with U+FFFD instead: it must not cost the visitor their chat."""
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        raise Answered(cors(HttpResponse(status=204), origin))
    if request.method != "POST":
        raise Answered(refusal("method_not_allowed", "Use POST.", 405, origin))
    if len(request.body) > max_bytes:
        raise Answered(refusal("too_big", "The request body is too large.", 413, origin))
    try:
        payload = read_json(request.body or b"{}", refuse_unstorable=not lenient_key)
        if lenient_key and isinstance(payload, dict) and lenient_key in payload:
            lenient = replace_unstorable(payload.pop(lenient_key))[0]
            payload = {**storable_tree(payload), lenient_key: lenient}
        elif lenient_key:
            storable_tree(payload)
    except BadInput as bad:
        raise Answered(refusal("bad_request", str(bad), 400, origin)) from None
    if not isinstance(payload, dict):
        raise Answered(refusal("bad_request", "Send a JSON object.", 400, origin))
    return payload
