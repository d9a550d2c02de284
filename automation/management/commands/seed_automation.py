"""`manage.py seed_automation`: the demo's rule and shared macros (automation/demo.py)."""

from django.core.management.base import BaseCommand

from automation.demo import DEMO_RULE, seed_automation


class Command(BaseCommand):
    help = "Add the demo's automation rule and shared macros (idempotent)."

    def handle(self, *args, **options) -> None:
        rule_created, macros = seed_automation()
        verb = "Created" if rule_created else "Found"
        self.stdout.write(f"{verb} the rule '{DEMO_RULE}'; {macros} shared macros added.")
