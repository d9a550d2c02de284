"""What a web-widget inbox's admin page tells the business to paste (conversations.registry)."""

from django.conf import settings
from django.urls import reverse

from conversations.models import Inbox


def widget_setup_guide(inbox: Inbox) -> list[tuple[str, str]]:
    loader = settings.PUBLIC_URL + reverse("customer_clients:widget-loader")
    return [
        (
            "Paste into every page of your site, before </body>",
            f'<script src="{loader}" data-parley-key="{inbox.public_key}" async></script>',
        ),
        (
            "Logged-in users (optional): your server signs the user's id with this inbox's identity "
            "secret (HMAC-SHA256, hex; never put the secret in a page), and the page passes both",
            'Parley.identify({ userId: "user-42", userHash: "<HMAC of user-42 from your server>" });',
        ),
    ]
