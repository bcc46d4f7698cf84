"""Writes to units and roles. Import from here: ``from orgunits.services import unit_move``."""

from .roles import role_change_check, role_grant, role_revoke
from .tree import (
    resolve_redirect,
    unit_create,
    unit_dissolve,
    unit_merge,
    unit_move,
    unit_move_check,
    unit_parent_check,
    unit_rename,
)

__all__ = [
    "resolve_redirect",
    "role_change_check",
    "role_grant",
    "role_revoke",
    "unit_create",
    "unit_dissolve",
    "unit_merge",
    "unit_move",
    "unit_move_check",
    "unit_parent_check",
    "unit_rename",
]
