"""The OpenAPI schema is valid, warning-free and complete enough for client generators."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from tests.api.schema_fuzz import api_schema, operations

EXPECTED_OPERATIONS = {
    "contacts_list",
    "contacts_create",
    "contacts_retrieve",
    "contacts_update",
    "contacts_identities_list",
    "contacts_merge",
    "contacts_merge_suggestions_list",
    "conversations_list",
    "conversations_retrieve",
    "conversations_update",
    "conversations_assign",
    "messages_list",
    "messages_create",
    "messages_retry",
    "labels_list",
    "labels_create",
    "inboxes_list",
    "profile_retrieve",
    "profile_token_retrieve",
    "profile_token_regenerate",
    "help_search",
    "portals_list",
    "articles_list",
    "articles_create",
    "articles_retrieve",
    "articles_update",
    "contacts_export",
    "contacts_erase",
}
# Operations whose answer is a file, not JSON.
FILE_OPERATIONS = {"contacts_export": "application/zip"}


def test_the_schema_validates_with_no_warnings(tmp_path):
    """What `manage.py spectacular --validate --fail-on-warn` checks in CI: it raises on either."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.0.3")


@pytest.mark.django_db
def test_the_schema_and_its_docs_are_served_to_anyone():
    client = APIClient()

    schema = client.get("/api/schema/?format=json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Parley API"
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


@pytest.mark.django_db
def test_the_docs_page_loads_nothing_from_elsewhere_so_it_works_offline():
    """Swagger UI from a CDN left /api/docs/ blank on a network without internet (issue 21)."""
    page = APIClient().get("/api/docs/").content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)

    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    assert not [asset for asset in assets if "//" in asset], assets  # no other host
    client = Client()
    for asset in assets:
        answer = client.get(asset, follow=True)  # /favicon.ico redirects to the icon
        assert answer.status_code == 200, asset


def test_every_operation_is_described_whole():
    schema = api_schema()
    # The API channel's endpoints (/api/v1/channel/, an inbox's token) are checked with the
    # channel, in tests/channels/test_api_channel.py.
    found = [
        operation for operation in operations(schema) if not operation.path.startswith("/api/v1/channel/")
    ]

    assert {operation.operation_id for operation in found} == EXPECTED_OPERATIONS
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth", "inboxToken"}
    for operation in found:
        responses = operation.spec["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, operation.operation_id
        media_type = FILE_OPERATIONS.get(operation.operation_id, "application/json")
        assert media_type in responses[success[0]]["content"], operation.operation_id
        for code in ("401", "403"):
            error = responses[code]["content"]["application/json"]["schema"]["$ref"]
            assert error == "#/components/schemas/Error", operation.operation_id
        if "{" in operation.path:
            assert "404" in responses, operation.operation_id
        if operation.body_schema is not None or operation.query_parameters:
            assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ValidationError"
            ), operation.operation_id
        assert {"tokenAuth": []} in operation.spec["security"], operation.operation_id


def test_enums_are_named_components():
    components = api_schema()["components"]["schemas"]

    assert components["ConversationStatusEnum"]["enum"] == ["open", "pending", "snoozed", "resolved"]
    assert components["PriorityEnum"]["enum"] == [0, 1, 2, 3, 4]
    assert "DeliveryStatusEnum" in components
    assert components["PaginatedConversationListItemList"]["properties"]["next"]["nullable"] is True


def test_a_request_says_it_takes_no_other_fields():
    components = api_schema()["components"]["schemas"]
    assert components["MessageCreateRequest"]["additionalProperties"] is False
    assert components["ChannelAttachmentInputRequest"]["additionalProperties"] is False
    assert "additionalProperties" not in components["Message"]  # answers may grow fields
