"""Labels and inboxes over the API."""

from conversations.models import Label
from tests.factories.conversations import InboxFactory, LabelFactory


def test_labels_are_listed_by_name(api):
    LabelFactory(name="vip")
    LabelFactory(name="refund", color="#2563eb")

    body = api.get("/api/v1/labels").json()

    assert body["count"] == 2
    assert [(label["name"], label["color"]) for label in body["results"]] == [
        ("refund", "#2563eb"),
        ("vip", "#6b7280"),
    ]


def test_a_label_is_created(api):
    response = api.post("/api/v1/labels", {"name": "vip-customer", "color": "#2563EB", "description": "Big"})

    assert response.status_code == 201
    label = Label.objects.get()
    assert (label.name, label.color, label.description) == ("vip-customer", "#2563EB", "Big")
    assert response.json()["id"] == label.pk


def test_a_label_name_is_a_slug_and_unique(api):
    LabelFactory(name="vip")

    taken = api.post("/api/v1/labels", {"name": "vip"})
    spaced = api.post("/api/v1/labels", {"name": "very important"})
    colour = api.post("/api/v1/labels", {"name": "ok", "color": "red"})

    assert [r.status_code for r in (taken, spaced, colour)] == [400, 400, 400]
    assert list(taken.json()["field_errors"]) == ["name"]
    assert list(colour.json()["field_errors"]) == ["color"]
    assert Label.objects.count() == 1


def test_inboxes_are_the_agents_own(api, inbox):
    InboxFactory(name="Not mine")
    InboxFactory(name="Closed", is_active=False)

    body = api.get("/api/v1/inboxes").json()

    assert body["results"] == [
        {
            "id": inbox.pk,
            "name": inbox.name,
            "channel_type": "web_widget",
            "mode": "messaging",
            "public_key": inbox.public_key,
            "timezone": "UTC",
            "is_active": True,
        }
    ]
