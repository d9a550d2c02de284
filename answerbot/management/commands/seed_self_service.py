"""`manage.py seed_self_service`: the demo help center and answer bots (answerbot/demo.py)."""

from django.core.management.base import BaseCommand

from answerbot.demo import PORTAL_SLUG, seed_self_service


class Command(BaseCommand):
    help = "Create the demo help center and turn the answer bot on in the demo's help chat (idempotent)."

    def handle(self, *args, **options) -> None:
        created = seed_self_service()
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} the demo help center: /help/{PORTAL_SLUG}/")
