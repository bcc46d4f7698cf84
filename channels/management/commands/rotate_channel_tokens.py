"""Re-encrypt every stored channel token with the newest key of VIETFRONT_CHANNEL_KEY.

Rotation: put the new key first (``new,old``), run this, then drop the old key. Tokens no key
opens are reported by connection id and left as they are (reconnect those channels).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from channels import crypto
from channels.models import ChannelConnection


class Command(BaseCommand):
    help = "Re-encrypt channel tokens with the newest key of VIETFRONT_CHANNEL_KEY."

    def handle(self, *args, **options) -> None:
        rotated, unreadable = 0, []
        with transaction.atomic():
            for connection in ChannelConnection.objects.select_for_update().exclude(access_token_enc=""):
                try:
                    connection.access_token_enc = crypto.rotate(connection.access_token_enc)
                    connection.refresh_token_enc = crypto.rotate(connection.refresh_token_enc)
                except crypto.ChannelKeyError:
                    unreadable.append(connection.pk)
                    continue
                connection.save(update_fields=["access_token_enc", "refresh_token_enc"])
                rotated += 1
        self.stdout.write(f"rotated={rotated} unreadable={len(unreadable)}")
        if unreadable:
            self.stderr.write("unreadable connection ids: " + ", ".join(map(str, unreadable)))
