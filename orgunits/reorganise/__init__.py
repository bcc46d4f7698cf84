"""Reorganising the Front: a plan (the 2025 reform or a plan file) applied to the tree, with the
people and the work of dissolved units carried to their successors. Dry-runnable; idempotent.

Entry points: ``run.reorganisation_run`` (writes), ``planfile.plan_file_read`` (parsing),
``history.unit_predecessors`` (the public page's read). This package sits above ``pages``,
``moderation`` and ``spreading`` (it moves their rows); none of them imports it except the
unit page, which reads ``history`` only, so this module imports nothing itself.
"""
