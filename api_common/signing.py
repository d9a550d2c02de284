"""Signing and verifying Parley's webhook requests (pure functions: no Django, no models).

Every request Parley sends carries

    Parley-Signature: t=1735689600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
    Parley-Delivery: 0b6f3c7e-5a4e-4d4b-9d7e-2f1b3c4d5e6f
    Parley-Event: message.created

where v1 is the hex HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes, prefix
included), of the timestamp, a dot, and the raw request body: `f"{t}.".encode() + body`. While a
secret is being rotated the header carries one v1 per valid secret. The timestamp is signed so an
old request cannot be replayed later: `verify` refuses one outside its tolerance.

This module is meant to be copied by businesses that receive our webhooks (it needs only the
standard library), and is imported by other Parley apps: keep its public names stable.
"""

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "Parley-Signature"
DELIVERY_HEADER = "Parley-Delivery"
EVENT_HEADER = "Parley-Event"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def compute_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex v1 signature of `body` sent at `timestamp` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Parley-Signature header value for one secret: `t=<timestamp>,v1=<hex>`."""
    return sign_many([secret], body, timestamp)


def sign_many(secrets: Iterable[str], body: bytes, timestamp: int) -> str:
    """The header value with one v1 per secret (during a rotation: the new one and the old one),
    so a receiver that knows either accepts the request."""
    parts = [f"t={timestamp}"]
    parts += [f"{SCHEME}={compute_signature(secret, body, timestamp)}" for secret in secrets]
    return ",".join(parts)


def parse_header(header: str) -> tuple[int | None, list[str]]:
    """The timestamp and the v1 signatures of a header value; (None, []) parts when malformed.
    Unknown schemes are ignored, so a future v2 does not break today's receivers."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    return timestamp, signatures


def verify(
    secret: str,
    body: bytes,
    header: str,
    tolerance_seconds: int | None = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether `header` (the Parley-Signature value) signs exactly `body` (the raw request bytes,
    before any JSON parsing) with `secret`, at a time within `tolerance_seconds` of `now` (default:
    the current time; None skips the time check). Any one matching v1 value is enough. Never
    raises on a malformed header: it simply does not verify."""
    timestamp, signatures = parse_header(header)
    if timestamp is None or not signatures:
        return False
    if tolerance_seconds is not None:
        current = time.time() if now is None else now
        if abs(current - timestamp) > tolerance_seconds:
            return False
    expected = compute_signature(secret, body, timestamp).encode()
    # Compare with every value, each in constant time, so timing says nothing about which matched
    # (as bytes: compare_digest refuses str with non-ASCII characters, and a header may have them).
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
    return any(matches)
