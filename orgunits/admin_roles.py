"""Role grant admin (being written)."""
