"""`manage.py seed_reports`: the demo's satisfaction survey and service-level policy (reports/demo.py)."""

from django.core.management.base import BaseCommand

from reports.demo import DEMO_POLICY, seed_reports


class Command(BaseCommand):
    help = "Ask for ratings in every demo inbox and apply a demo service-level policy (idempotent)."

    def handle(self, *args, **options) -> None:
        inboxes, created = seed_reports()
        verb = "Created" if created else "Found"
        self.stdout.write(
            f"Satisfaction survey on in {inboxes} inboxes; {verb} the SLA policy '{DEMO_POLICY}'."
        )
