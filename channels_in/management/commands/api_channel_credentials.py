"""manage.py api_channel_credentials <inbox public key> [--rotate] [--webhook-url URL]

Shows an API inbox's token and webhook secret, making whichever is missing (both anew with
--rotate: the old ones stop working at once), and sets the URL replies are POSTed to.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from channels_in.api_channel.credentials import api_channel_credentials_ensure
from conversations.models import ChannelType, Inbox


class Command(BaseCommand):
    help = "Show (and make, or rotate) an API channel inbox's token and webhook secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("public_key", help="The inbox's public key (Admin → Inboxes).")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Make a new token and secret; the old ones stop working at once.",
        )
        parser.add_argument("--webhook-url", help="Where agents' replies are POSTed (http or https).")

    def handle(
        self, *args: object, public_key: str, rotate: bool, webhook_url: str | None, **options
    ) -> None:
        inbox = Inbox.objects.filter(public_key=public_key).first()
        if inbox is None:
            raise CommandError(f"No inbox has the public key {public_key!r}.")
        if inbox.channel_type != ChannelType.API:
            raise CommandError(
                f"“{inbox.name}” is a {inbox.get_channel_type_display()} inbox; only API inboxes have "
                "these credentials."
            )
        if webhook_url is not None:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
            except ValidationError as error:
                raise CommandError(f"--webhook-url {webhook_url!r} is not an http(s) URL.") from error
        credentials = api_channel_credentials_ensure(
            inbox_id=inbox.pk, rotate=rotate, webhook_url=webhook_url
        )
        self.stdout.write(f"Inbox: {inbox.name} ({inbox.public_key})")
        self.stdout.write(f"API token:      {credentials.api_token}")
        self.stdout.write(f"Webhook secret: {credentials.webhook_secret}")
        unset = "not set: replies fail until one is set (--webhook-url)"
        self.stdout.write(f"Webhook URL:    {credentials.webhook_url or unset}")
        if not inbox.is_active:
            self.stderr.write("This inbox is inactive: its token opens nothing until it is active again.")
        if rotate:
            self.stderr.write("Rotated: the previous token and secret no longer work.")
