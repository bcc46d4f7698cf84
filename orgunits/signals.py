"""Signals other apps listen to for cache upkeep; never for business rules."""

from django.dispatch import Signal

# Sent after a bulk write to the unit tree (imports, repairs) that bypasses model signals.
unit_tree_changed = Signal()
