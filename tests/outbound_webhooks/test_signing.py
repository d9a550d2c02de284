"""The signature businesses check: Stripe-style `t=…,v1=…` over the timestamp and the raw body."""

import hashlib
import hmac

import pytest

from api_common.signing import parse_header, sign, sign_many, verify

SECRET = "whsec_test_secret"
BODY = b'{"type":"message.created","data":{"message":{"body":"Hi \xc3\xa9"}}}'
T = 1_735_689_600


def test_the_signature_is_the_documented_hmac():
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert sign(SECRET, BODY, T) == f"t={T},v1={expected}"


def test_a_signed_body_verifies():
    assert verify(SECRET, BODY, sign(SECRET, BODY, T), now=T + 10)


@pytest.mark.parametrize(
    ("secret", "body", "header_time", "now"),
    [
        ("whsec_other", BODY, T, T),  # another secret
        (SECRET, BODY + b" ", T, T),  # one byte added
        (SECRET, BODY.replace(b"Hi", b"Yo"), T, T),  # the body changed
        (SECRET, BODY, T, T + 301),  # too old: a replayed request
        (SECRET, BODY, T + 301, T),  # too far in the future
    ],
    ids=["wrong-secret", "byte-added", "body-changed", "too-old", "from-the-future"],
)
def test_anything_tampered_or_stale_does_not_verify(secret, body, header_time, now):
    assert not verify(secret, body, sign(SECRET, BODY, header_time), now=now)


def test_the_timestamp_is_signed_too():
    header = sign(SECRET, BODY, T).replace(f"t={T}", f"t={T + 60}")

    assert not verify(SECRET, BODY, header, now=T + 60)


def test_the_tolerance_can_be_widened_or_skipped():
    header = sign(SECRET, BODY, T)

    assert verify(SECRET, BODY, header, tolerance_seconds=3600, now=T + 3000)
    assert verify(SECRET, BODY, header, tolerance_seconds=None, now=T + 10**6)


def test_during_a_rotation_either_secret_verifies():
    header = sign_many(["whsec_new", "whsec_old"], BODY, T)

    assert header.count("v1=") == 2
    assert verify("whsec_new", BODY, header, now=T)
    assert verify("whsec_old", BODY, header, now=T)
    assert not verify("whsec_other", BODY, header, now=T)


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=abc,v1=00", f"t={T}", "v1=00", f"t={T},v1=", f"t={T},v1=é", f"t={T},v0=abc"],
)
def test_a_malformed_header_does_not_verify_and_does_not_raise(header):
    assert not verify(SECRET, BODY, header, now=T)


def test_unknown_schemes_are_ignored_alongside_v1():
    header = f"{sign(SECRET, BODY, T)},v2=future-scheme"

    assert parse_header(header) == (T, [sign(SECRET, BODY, T).split("v1=")[1]])
    assert verify(SECRET, BODY, header, now=T)
