"""The real-time benchmark's world (bench/realtime.py; the expiry benchmark makes its own): one
widget inbox, visitors with an open conversation each and their tokens, admin agents logged in.
"""

import time
import uuid

from django.core import signing
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from agents.services import agent_create
from conversations.models import ChannelType, Contact, ContactIdentity, Conversation, Inbox
from customer_clients import visitors
from customer_clients.visitors import Visitor, connected_visitor, visitor_session_open


class Fixtures:
    def __init__(self, customers: int, agents: int) -> None:
        started = time.monotonic()
        self.inbox = Inbox.objects.create(name="Bench realtime", channel_type=ChannelType.WEB_WIDGET)
        now = timezone.now()
        # Bulk rows equal to what visitor_session_open -> contact_identify creates, for speed
        # (5,000 sessions one by one take minutes here); tokens are checked against the product below.
        contacts = Contact.objects.bulk_create(
            [Contact(name=f"Bench visitor {n}", last_seen_at=now) for n in range(customers)]
        )
        identities = ContactIdentity.objects.bulk_create(
            [
                ContactIdentity(contact=contact, inbox=self.inbox, source_id=visitors.new_visitor_source_id())
                for contact in contacts
            ]
        )
        conversations = Conversation.objects.bulk_create(
            [
                Conversation(
                    inbox=self.inbox, contact=contact, status=Conversation.Status.OPEN, last_activity_at=now
                )
                for contact in contacts
            ]
        )
        self.visitors = [
            Visitor(inbox_id=self.inbox.pk, contact_id=c.pk, identity_id=i.pk, external_id="")
            for c, i in zip(contacts, identities, strict=True)
        ]
        self.conversation_ids = [conversation.pk for conversation in conversations]
        self.resume_tokens = [self._token(v, visitors.RESUME_SALT) for v in self.visitors]
        self._check_tokens()
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            self.agents = [
                agent_create(
                    username=f"rt-{self.inbox.pk}-agent-{n}",  # expiry makes its own Fixtures in the same run
                    email=f"rt-{self.inbox.pk}-agent-{n}@example.com",
                    password=uuid.uuid4().hex,
                    display_name=f"Agent {n}",
                    is_admin=True,
                )
                for n in range(agents)
            ]
        self.agent_sessions = []
        for agent in self.agents:
            client = Client()
            client.force_login(agent)
            self.agent_sessions.append(client.cookies["sessionid"].value)
        self.seconds = round(time.monotonic() - started, 1)

    @staticmethod
    def _token(visitor: Visitor, salt: str) -> str:
        # What visitor_session_open returns, minted without its per-call queries (it signs these
        # same claims with these salts); _check_tokens proves the product accepts them.
        return signing.dumps(visitor.claims(), salt=salt)

    def connect_tokens(self, count: int) -> list[str]:
        """Fresh (they live CONNECT_TOKEN_SECONDS) connect tokens for the first `count` visitors."""
        return [self._token(v, visitors.CONNECT_SALT) for v in self.visitors[:count]]

    def _check_tokens(self) -> None:
        visitor = self.visitors[0]
        assert connected_visitor(self.connect_tokens(1)[0])[0] == visitor
        assert visitor_session_open(inbox=self.inbox, resume_token=self.resume_tokens[0]).visitor == visitor
