"""The control API, so a test in another process can drive a fake started with
`python -m simulator.fake_provider`. No latency or faults apply here.

    GET  /_fake/health                     {"ok": true}
    GET  /_fake/sends[?provider=twilio][&since=seq]  {"sends": [...]}     accepted sends, oldest first
    GET  /_fake/requests[?provider=…][&since=seq]    {"requests": [...]}  every API call, refused too
    GET  /_fake/callbacks                  {"callbacks": [...]}  webhooks the fake posted itself
    POST /_fake/reset                      back to how the server started
    GET  /_fake/behaviour                  the behaviour in force
    POST /_fake/behaviour                  change it; JSON keys, all optional:
         latency_ms [min, max]; error_rate 0..1 (random 500s on sends);
         script [{match: twilio|whatsapp|messenger|telegram|*, respond: 429|5xx|timeout|drop|
                  lost|error:<name>, times: 1, calls: sends|other|all}], consumed in order:
           429, 5xx, error:<name>  refused in the provider's error shape (nothing accepted);
           timeout  accepted, answered only after timeout_seconds (30: past any client timeout);
           drop     hung up before accepting;  lost  accepted, then hung up unanswered;
         status_callbacks, status_callback_delay_ms, timeout_seconds, telegram_retry_after,
         blocked_chats [chat ids], outside_window [wa_ids / PSIDs], templates [{name, language,
         category, body}], accept_any_credentials
    POST /_fake/media                      {key, content_base64, mime_type} -> the media's URLs and ids
    POST /_fake/profiles                   {user_id, kind: messenger|instagram, fields: {first_name,
                                           last_name, name, username, profile_pic…}}: Graph shows them
    POST /_fake/credentials                more accepted credentials: {twilio: {AccountSid: AuthToken},
                                           graph: [token], telegram: [bot token]}
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .meta_profiles import checked_profile
from .state import ProviderState
from .wire import ApiRequest, ApiResponse, json_response


def handle(request: ApiRequest, state: ProviderState) -> ApiResponse:
    route = (request.method, request.path.rstrip("/"))
    body = request.json if isinstance(request.json, dict) else {}
    try:
        return _route(route, state, request, body)
    except (ValueError, TypeError, KeyError, binascii.Error) as problem:
        return json_response(400, {"error": f"{type(problem).__name__}: {problem}"})


def _route(
    route: tuple[str, str], state: ProviderState, request: ApiRequest, body: dict[str, Any]
) -> ApiResponse:
    provider, since, base_url = (
        request.param("provider") or None,
        int(request.param("since") or 0),
        request.base_url,
    )
    if route == ("GET", "/_fake/health"):
        return json_response(200, {"ok": True, "url": base_url})
    if route == ("GET", "/_fake/sends"):
        return json_response(200, {"sends": state.sends(provider, since)})
    if route == ("GET", "/_fake/requests"):
        return json_response(200, {"requests": state.requests(provider, since)})
    if route == ("GET", "/_fake/callbacks"):
        return json_response(200, {"callbacks": state.callbacks()})
    if route == ("POST", "/_fake/reset"):
        state.reset()
        return json_response(200, {"ok": True})
    if route == ("GET", "/_fake/behaviour"):
        return json_response(200, state.describe_behaviour())
    if route == ("POST", "/_fake/behaviour"):
        return json_response(200, state.configure(body))
    if route == ("POST", "/_fake/media"):
        content = base64.b64decode(body["content_base64"], validate=True)
        return json_response(200, state.add_media(body["key"], content, body["mime_type"], base_url))
    if route == ("POST", "/_fake/profiles"):
        state.add_profile(str(body["user_id"]), checked_profile(str(body["kind"]), dict(body["fields"])))
        return json_response(200, {"ok": True})
    if route == ("POST", "/_fake/credentials"):
        state.add_credentials(body.get("twilio"), body.get("graph"), body.get("telegram"))
        return json_response(200, {"ok": True})
    return json_response(404, {"error": f"no control endpoint {route[0]} {route[1]}"})
