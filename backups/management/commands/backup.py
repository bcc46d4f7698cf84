"""``manage.py backup``: the database and the media library into one dated archive."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, backup_create, current_figures

from ._report import print_figures


class Command(BaseCommand):
    help = (
        "Write the database (pg_dump custom format, or SQLite's backup API) and every media file "
        "into vietfront-backup-<UTC time>.tar with a manifest of row counts and checksums."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output-dir", type=Path, default=None,
                            help="folder for the archive (default: VIETFRONT_BACKUP_DIR or var/backups)")
        parser.add_argument("--figures", action="store_true",
                            help="write no archive: print the figures (JSON) a backup would record now")

    def handle(self, *args, output_dir: Path | None, figures: bool, **options) -> None:
        try:
            if figures:
                self.stdout.write(json.dumps(current_figures(), indent=1, sort_keys=True, ensure_ascii=False))
                return
            folder = output_dir or Path(getattr(settings, "VIETFRONT_BACKUP_DIR", "") or settings.VAR_DIR / "backups")
            result = backup_create(folder=folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = result.path.stat().st_size
        self.stdout.write(f"Backup written: {result.path} ({size / 1e6:.1f} MB) in {result.seconds:.1f} s")
        print_figures(self.stdout, result.manifest, verbosity=options["verbosity"])
