import pytest
from channels.layers import channel_layers
from django.test import override_settings

from tests.backends import ON_REDIS


@pytest.fixture
def fresh_layers():
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def test_healthz_reports_every_part(client, db, fresh_layers):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.skipif(not ON_REDIS, reason="the broker is in-process on the embedded fallback")
def test_healthz_names_an_unreachable_broker(client, db):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_healthz_names_an_unreachable_channel_layer(client, db, fresh_layers):
    broken = {
        "default": {
            "BACKEND": "config.channel_layer.BoundedPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0"}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=broken):
        channel_layers.backends = {}
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["channel_layer"]
    assert "channel_layer" in response.content.decode()
