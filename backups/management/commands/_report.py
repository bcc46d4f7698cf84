"""Figures of a backup, printed the same way by ``backup`` and ``restore``."""

from __future__ import annotations


def print_figures(out, manifest: dict, *, verbosity: int = 1) -> None:
    db, media = manifest["database"], manifest["media"]
    out.write(f"database ({manifest['vendor']}): {len(db['tables'])} tables, {db['rows']} rows, "
              f"checksum {db['checksum'][:16]}")
    out.write(f"media: {media['count']} files, {media['bytes'] / 1e6:.1f} MB, checksum {media['checksum'][:16]}")
    out.write(f"content checksum: {manifest['checksum']}")
    if verbosity >= 2:
        for name, table in sorted(db["tables"].items()):
            out.write(f"  {name}: {table['rows']}")


def print_comparison(out, manifest: dict, restored: dict, *, verbosity: int = 1) -> None:
    """A table of backed-up and restored figures; with verbosity 1 only non-empty tables."""
    out.write(f"Backup of {manifest['created_at']} ({manifest['vendor']})")
    out.write("| what | in the backup | restored | sha256 equal |")
    out.write("| --- | ---: | ---: | --- |")
    for name, want in sorted(manifest["database"]["tables"].items()):
        got = restored["database"]["tables"].get(name, {"rows": None, "sha256": None})
        if verbosity >= 2 or want["rows"] or want != got:
            out.write(f"| {name} | {want['rows']} | {got['rows']} | {'yes' if want == got else 'NO'} |")
    out.write(f"| all tables ({len(manifest['database']['tables'])}) | {manifest['database']['rows']} "
              f"| {restored['database']['rows']} "
              f"| {'yes' if manifest['database']['checksum'] == restored['database']['checksum'] else 'NO'} |")
    out.write(f"| media files | {manifest['media']['count']} | {restored['media']['count']} "
              f"| {'yes' if manifest['media']['checksum'] == restored['media']['checksum'] else 'NO'} |")
    out.write(f"| media bytes | {manifest['media']['bytes']} | {restored['media']['bytes']} | |")
    out.write(f"| content checksum | {manifest['checksum'][:16]} | {restored['checksum'][:16]} "
              f"| {'yes' if manifest['checksum'] == restored['checksum'] else 'NO'} |")
