"""Import the official list of administrative units into the unit tree.

``source`` reads the bundled data set, ``plan`` works out every change in memory, ``apply``
writes it in one transaction under the tree lock. Call ``units_import``.
"""

from .apply import ImportRefused, ImportResult, reform_applied, units_import

__all__ = ["ImportRefused", "ImportResult", "reform_applied", "units_import"]
