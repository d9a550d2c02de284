"""Recompute the daily rollups of a range of days from the fact log (after an inbox's hours
changed, say). Without dates: every day from the first fact to today."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports import rollups


class Command(BaseCommand):
    help = "Recompute the reports' daily rollups from the fact log."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from", dest="first", help="First day, YYYY-MM-DD (default: the first fact's day)."
        )
        parser.add_argument("--to", dest="last", help="Last day, YYYY-MM-DD (default: today).")

    def handle(self, *args, first: str | None = None, last: str | None = None, **options) -> None:
        earliest = rollups.first_fact_day()
        if earliest is None:
            self.stdout.write("No facts yet: nothing to compute.")
            return
        start = _day(first) if first else earliest
        end = _day(last) if last else rollups.day_of(timezone.now())
        if start > end:
            raise CommandError(f"--from {start} is after --to {end}.")
        stored = rollups.rebuild(start, end)
        self.stdout.write(self.style.SUCCESS(f"Recomputed {stored} days, {start} to {end}."))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f'"{text}" is not a date: write it as YYYY-MM-DD.') from None
