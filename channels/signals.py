"""What other apps tell the channels: which units' pages carry a post besides its own.

Spreading (``spreading.signals``) answers for the pages a post was spread to or accepted on;
their connected channels carry the post too. Channels never import spreading.
"""

from django.dispatch import Signal

#: Sent with ``post_ids``; each receiver returns an iterable of (post id, unit id) pairs, so a
#: publishing sweep asks once for all its posts.
units_carrying_posts = Signal()
