"""What moderation tells other apps (infrastructure only: caches, indexes).

``posts_published`` is the bulk form of the ``post_save`` of ``live_revision`` that a single
publication sends: the publishing sweep puts many posts live with set-based updates, which send
no ``post_save``. Sent inside the sweep's transaction with ``post_ids``, once per chunk; each
post is in exactly one sending.
"""

from django.dispatch import Signal

posts_published = Signal()
