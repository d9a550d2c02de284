"""The email channel's OutboundSender (conversations.registry): the outbox hands it one message
at a time; it writes the mail (writing.py) and sends it by SMTP (smtp.py)."""

from datetime import datetime

from conversations.models import Message
from conversations.registry import PermanentDeliveryError, SendReceipt

from .addresses import inbox_address
from .smtp import smtp_send
from .writing import customer_address, mail_for


class EmailSender:
    def send(self, message: Message) -> SendReceipt:
        message = Message.objects.select_related("conversation__inbox", "conversation__contact").get(
            pk=message.pk
        )
        to = customer_address(message)
        if not to:
            raise PermanentDeliveryError("The customer has no email address to write to.", code="no_address")
        inbox = message.conversation.inbox
        if not inbox_address(inbox):
            raise PermanentDeliveryError(
                f"The inbox “{inbox.name}” has no address configured (Admin → Inboxes → Config).",
                code="not_configured",
            )
        mail = mail_for(message)
        cc = [address.strip() for address in str(mail.get("Cc") or "").split(",") if address.strip()]
        smtp_send(inbox, mail, recipients=[to, *cc])
        return SendReceipt(provider_message_id=str(mail["Message-ID"]))

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        """A mail server cannot be asked whether it took a mail. Sending again is safe enough:
        the retry carries the same Message-ID (writing.message_id_for), by which mail programs
        show a mail that arrives twice once."""
        return None
