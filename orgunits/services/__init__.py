"""Writes to units and roles. Import from here: ``from orgunits.services import unit_move``."""

from .tree import (
    resolve_redirect,
    unit_create,
    unit_dissolve,
    unit_merge,
    unit_move,
    unit_rename,
)

__all__ = [
    "resolve_redirect",
    "unit_create",
    "unit_dissolve",
    "unit_merge",
    "unit_move",
    "unit_rename",
]
