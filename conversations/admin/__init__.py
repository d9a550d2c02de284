"""The admin for the core records: a door like any view, so every change of state goes through a
service (conversations.services) and nothing here may write `seq`, `last_seq` or a message.

Importing the package registers one ModelAdmin module per family of records:
contacts, inboxes (with their message templates), conversations (with labels and read markers),
messages (with attachments), delivery (the outbox and its attempts), sessions.

Other apps' admins build on the pieces that are a library, each named for what it is: actions
(`apply_each`, `report_outcome`), permissions (`ReadOnlyAdminMixin`, `DeletesWholeThreadsMixin`),
columns (`related_count`, `admin_link`, `OPEN_STATUSES`) and fields (`FORM_FIELDS`).

Assignment and inbox membership belong to the agents app, which extends the conversation and
inbox admins registered here (agents/admin.py); this package imports nothing of agents'.
"""

from . import contacts, conversations, delivery, inboxes, messages, sessions

__all__ = ["contacts", "conversations", "delivery", "inboxes", "messages", "sessions"]
