"""Delete images staged by forms that were never completed (older than a day)."""

from django.core.management.base import BaseCommand

from pages.staging import purge_staged_uploads


class Command(BaseCommand):
    help = "Delete abandoned staged uploads older than one day."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Removed {purge_staged_uploads()} staged uploads.")
