"""Create demo community pages, images and posts in a few real units. DEBUG runs only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pages.demo import seed_demo_content


class Command(BaseCommand):
    help = "Create demo community pages and posts (idempotent; only with DEBUG on)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo_content only runs with DEBUG on: it publishes posts without approval.")
        counts = seed_demo_content(log=lambda message: self.stdout.write(self.style.WARNING(message)))
        self.stdout.write(
            self.style.SUCCESS(
                "Demo content: {pages} pages, {posts} posts, {images} images created; "
                "{submitted} posts waiting for approval; {skipped_units} units missing.".format(**counts)
            )
        )
