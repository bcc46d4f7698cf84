"""What other apps tell the channels: which units' pages carry a post besides its own.

Spreading (``spreading.signals``) answers for the pages a post was spread to or accepted on;
their connected channels carry the post too. Channels never import spreading.
"""

from django.dispatch import Signal

#: Sent with ``post_id``; each receiver returns an iterable of unit ids.
units_carrying_post = Signal()
