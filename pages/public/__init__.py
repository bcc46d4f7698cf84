"""The public site's reads and URL helpers (views in ``pages.views``, feeds in ``pages.feeds``)."""
