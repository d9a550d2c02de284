"""Attachments on S3-compatible storage (config/settings.py, MEDIA_S3_BUCKET) leave the bucket when
retention or an erasure takes their conversation, as they leave the media folder. The bucket is
served by moto's S3 server on localhost, over HTTP with S3's own wire format and signatures,
reached through the same django-storages backend and options production uses."""

import uuid
from collections.abc import Iterator

import boto3
import pytest
from django.conf import settings as django_settings
from moto.server import ThreadedMotoServer

from audit.actors import Actor
from privacy.models import RetentionPolicy
from privacy.retention import conversations_retain_batch
from privacy.services import erase_contact
from tests.factories.agents import UserFactory
from tests.factories.conversations import InboxFactory
from tests.privacy.test_retention import SECRET, resolved_conversation
from tests.realtime.harness import free_port

pytestmark = pytest.mark.django_db(transaction=True)

CREDENTIALS = {"aws_access_key_id": "parley-test", "aws_secret_access_key": "parley-test-secret"}
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A fresh bucket, and the default storage pointed at it with production's options."""
    name = f"parley-media-{uuid.uuid4().hex[:12]}"
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key.upper(), value)  # boto3's usual chain, as in production
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 3600,
                "file_overwrite": False,
            },
        },
    }
    return client, name


def stored_objects(bucket) -> dict[str, bytes]:
    client, name = bucket
    listed = client.list_objects_v2(Bucket=name).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=name, Key=item["Key"])["Body"].read() for item in listed}


def holding_secret(bucket) -> list[str]:
    return sorted(key for key, content in stored_objects(bucket).items() if SECRET.encode() in content)


def test_retention_removes_the_old_conversations_files_from_the_bucket_and_keeps_the_rest(bucket):
    inbox = InboxFactory(name="Website")
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.ANONYMISE)
    old = resolved_conversation(inbox, days_ago=40, file=True)
    young = resolved_conversation(inbox, days_ago=10, file=True)
    before = holding_secret(bucket)
    assert len(before) == 2  # both files went to the bucket, not the media folder

    assert conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox)).conversations == 1

    left = holding_secret(bucket)
    assert len(left) == 1
    assert all(f"/{old.pk}/" not in key for key in left)
    assert any(f"/{young.pk}/" in key for key in left)


def test_an_erased_contacts_files_leave_the_bucket(bucket):
    inbox = InboxFactory(name="Website")
    conversation = resolved_conversation(inbox, days_ago=1, file=True)
    assert len(holding_secret(bucket)) == 1

    erase_contact(contact=conversation.contact, actor=Actor.administrator(UserFactory(is_superuser=True)))

    assert holding_secret(bucket) == []
