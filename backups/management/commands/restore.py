"""``manage.py restore ARCHIVE``: into an empty database and media storage, then verified."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, backup_restore

from ._report import print_comparison


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the configured database and media storage, both empty, "
        "then compare row counts and checksums of what was restored with the manifest."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args, archive: Path, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"no such archive: {archive}")
        try:
            result = backup_restore(archive_path=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        print_comparison(self.stdout, result.manifest, result.restored, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS(
            f"Restored and verified in {result.seconds:.1f} s: counts and checksums equal "
            f"(content checksum {result.restored['checksum'][:16]})."
        ))
