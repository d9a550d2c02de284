"""The OpenAI Chat Completions API on the wire: what a request must hold, the error bodies, and the
shape of a completion, as api.openai.com answers them.

Every error is `{"error": {"message", "type", "param", "code"}}`. For example, a wrong key:

    HTTP/1.1 401 Unauthorized
    {"error": {"message": "Incorrect API key provided: sk-wrong*****2345. You can find your API key
     at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error",
     "param": null, "code": "invalid_api_key"}}

and a completion:

    {"id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion",
     "created": 1741570283, "model": "gpt-4o-mini",
     "choices": [{"index": 0, "message": {"role": "assistant", "content": "…", "refusal": null,
                  "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
     "usage": {"prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163, …},
     "service_tier": "default", "system_fingerprint": "fp_06737a9306"}
"""

from __future__ import annotations

import json
import math
import secrets
import string
import time
from typing import Any

from simulator.fake_provider.wire import ApiRequest, ApiResponse, json_response, random_token

COMPLETIONS_PATH = "/v1/chat/completions"
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
# Top-level parameters the real endpoint knows; any other is refused, so a typo in what Parley
# sends shows up here rather than being silently ignored.
PARAMETERS = frozenset(
    {
        *("model", "messages", "temperature", "top_p", "n", "stream", "stream_options", "stop"),
        *("max_tokens", "max_completion_tokens", "presence_penalty", "frequency_penalty"),
        *("logit_bias", "logprobs", "top_logprobs", "user", "response_format", "seed", "tools"),
        *("tool_choice", "parallel_tool_calls", "service_tier", "store", "metadata"),
        *("reasoning_effort", "modalities", "audio", "prediction", "functions", "function_call"),
        *("web_search_options", "prompt_cache_key", "safety_identifier", "verbosity"),
    }
)
KEYS_PAGE = "https://platform.openai.com/account/api-keys"
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
    "if you're accessing the API from your browser and are prompted for a username and password. You "
    f"can obtain an API key from {KEYS_PAGE}."
)
BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "
    "JSON. If you have trouble figuring out how to fix this, please contact us through our help center "
    "at help.openai.com.)"
)
SERVER_ERRORS = {
    500: "The server had an error while processing your request. Sorry about that!",
    503: "The server is overloaded or not ready yet.",
}
# What a gateway in front of the API answers when the API is down: HTML, not the JSON error shape.
BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
    b"</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


class Refused(Exception):
    """A request the API answers with an error; `response` is that answer."""

    def __init__(self, response: ApiResponse) -> None:
        super().__init__(response.status)
        self.response = response


def error(
    status: int,
    message: str,
    *,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> ApiResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return json_response(status, body, {"x-request-id": request_id(), **(headers or {})})


def invalid(message: str, param: str | None = None, code: str | None = None) -> Refused:
    return Refused(error(400, message, param=param, code=code))


def not_found(request: ApiRequest) -> ApiResponse:
    return error(404, f"Invalid URL ({request.method} {request.path})")


def unauthorized(request: ApiRequest, api_key: str) -> ApiResponse | None:
    """The 401 for a missing or wrong bearer key; None when the key is right."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip() if scheme.lower() == "bearer" else ""
    if not given:
        return error(401, NO_KEY)
    if not secrets.compare_digest(given.encode(), api_key.encode()):
        shown = f"{given[:8]}{'*' * max(len(given) - 12, 0)}{given[-4:]}" if len(given) > 12 else given
        message = f"Incorrect API key provided: {shown}. You can find your API key at {KEYS_PAGE}."
        return error(401, message, code="invalid_api_key")
    return None


def rate_limited(model: str, retry_after_seconds: int) -> ApiResponse:
    message = (
        f"Rate limit reached for {model} in organization org-fakeparley on requests per min (RPM): "
        f"Limit 3, Used 3, Requested 1. Please try again in {retry_after_seconds}s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    headers = {
        "retry-after": str(retry_after_seconds),
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{retry_after_seconds}s",
    }
    return error(429, message, kind="requests", code="rate_limit_exceeded", headers=headers)


def server_error(status: int) -> ApiResponse:
    if status == 502:
        return ApiResponse(status=502, body=BAD_GATEWAY, content_type="text/html")
    return error(status, SERVER_ERRORS.get(status, SERVER_ERRORS[500]), kind="server_error")


def chat_request(request: ApiRequest) -> dict[str, Any]:
    """The request body, checked as the real endpoint checks it; raises Refused otherwise."""
    try:
        body = json.loads(request.body) if request.body.strip() else {}
    except ValueError:
        raise invalid(BAD_JSON) from None
    if not isinstance(body, dict):
        raise invalid(f"Invalid type for 'body': expected an object, but got {_kind(body)} instead.")
    if not body.get("model"):
        raise invalid("you must provide a model parameter")
    if unknown := sorted(set(body) - PARAMETERS):
        raise invalid(f"Unrecognized request argument supplied: {unknown[0]}")
    _check_messages(body.get("messages"))
    _check_number(body, "temperature", 0, 2)
    _check_number(body, "top_p", 0, 1)
    if body.get("stream"):  # Parley does not stream; the fake says so rather than pretend
        raise invalid("fake_chat answers non-streaming requests only", param="stream")
    return body


def _check_messages(messages: Any) -> None:
    if messages is None:
        raise invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
    if not isinstance(messages, list):
        raise _wrong_type("messages", "an array", messages)
    if not messages:
        raise invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty "
            "array instead.",
            "messages",
            "empty_array",
        )
    for number, message in enumerate(messages):
        where = f"messages[{number}]"
        if not isinstance(message, dict):
            raise _wrong_type(where, "an object", message)
        role = message.get("role")
        if role is None:
            raise invalid(
                f"Missing required parameter: '{where}.role'.", f"{where}.role", "missing_required_parameter"
            )
        if role not in ROLES:
            supported = ", ".join(f"'{name}'" for name in ROLES[:-1]) + f", and '{ROLES[-1]}'"
            raise invalid(
                f"Invalid value: '{role}'. Supported values are: {supported}.",
                f"{where}.role",
                "invalid_value",
            )
        content = message.get("content")
        if content is None and role in ("system", "user", "developer", "tool"):
            raise invalid(
                f"Missing required parameter: '{where}.content'.",
                f"{where}.content",
                "missing_required_parameter",
            )
        if content is not None and not isinstance(content, str) and not _text_parts(content):
            raise _wrong_type(f"{where}.content", "one of a string or array of objects", content)


def _text_parts(content: Any) -> bool:
    return isinstance(content, list) and all(
        isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        for part in content
    )


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of an array."""
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content or ())


def _check_number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(name, "a decimal", value)
    if value > high:
        raise invalid(
            f"Invalid '{name}': decimal above maximum value. Expected a value <= {high}, but got {value} "
            "instead.",
            name,
            "decimal_above_max_value",
        )
    if value < low:
        raise invalid(
            f"Invalid '{name}': decimal below minimum value. Expected a value >= {low}, but got {value} "
            "instead.",
            name,
            "decimal_below_min_value",
        )


def _wrong_type(param: str, expected: str, value: Any) -> Refused:
    return invalid(
        f"Invalid type for '{param}': expected {expected}, but got {_kind(value)} instead.",
        param,
        "invalid_type",
    )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an integer", float: "a decimal", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), "a value"
    )


def completion(body: dict[str, Any], content: str, *, finish_reason: str = "stop") -> ApiResponse:
    """A successful answer: `content` as each of the request's `n` choices."""
    prompt = "\n".join(text_of(message.get("content")) for message in body["messages"])
    prompt_tokens = tokens(prompt) + 7 * len(body["messages"])  # roughly the per-message overhead
    choices = int(body.get("n") or 1)
    completion_tokens = tokens(content) * choices
    payload = {
        "id": "chatcmpl-" + random_token(29),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {
                "index": index,
                "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            for index in range(choices)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_" + secrets.token_hex(5),
    }
    headers = {"x-request-id": request_id(), "openai-processing-ms": "412", "openai-version": "2020-10-01"}
    return json_response(200, payload, headers)


def tokens(text: str) -> int:
    """About how many tokens `text` is (English runs near four characters a token)."""
    return math.ceil(len(text) / 4)


def request_id() -> str:
    return "req_" + random_token(32, string.hexdigits[:16])
