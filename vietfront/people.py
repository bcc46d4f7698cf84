"""How staff are named on screen and in mails.

Django's Vietnamese forms label ``first_name`` "Tên" (the given name) and ``last_name`` "Họ"
(family and middle names), so that is what a unit admin types there. Vietnamese names read
family name first and are addressed by the given name: "Lê Minh Duyệt" is greeted "Duyệt".
``User.get_full_name`` would print "Duyệt Lê Minh".
"""

from __future__ import annotations

from typing import Any


def full_name(user: Any) -> str:
    """"Họ" then "Tên", else the username; "" for no user."""
    if user is None:
        return ""
    name = " ".join(part for part in (user.last_name.strip(), user.first_name.strip()) if part)
    return name or user.get_username()


def given_name(user: Any) -> str:
    """What a greeting uses: the given name, else the username."""
    if user is None:
        return ""
    return user.first_name.strip() or user.get_username()
