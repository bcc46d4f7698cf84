"""The information regulation (quy chế thông tin) as code.

The workflow calls::

    context = load_context(find_duplicates=...)   # 3 queries, none while the kept copy is current
    result = run_rules(content, context=context)  # no query
    result.blocking / result.warnings / result.passed / result.as_dicts()

Each rule is a small class registered with ``@register`` in the modules imported below; the
import order is the order findings are reported in.
"""

from . import required, title, wording, links, personal_data, duplicates  # noqa: F401, I001
from .base import (
    ContentForReview,
    DocumentRef,
    DuplicateFinder,
    Finding,
    ImageRef,
    ReviewResult,
    Rule,
    Severity,
    SourceKind,
    register,
    registered_rules,
    rule_choices,
)
from .context import RegulationContext, RuleConfig, context_for, load_context
from .engine import run_rules

__all__ = [
    "ContentForReview",
    "DocumentRef",
    "DuplicateFinder",
    "Finding",
    "ImageRef",
    "RegulationContext",
    "ReviewResult",
    "Rule",
    "RuleConfig",
    "Severity",
    "SourceKind",
    "context_for",
    "load_context",
    "register",
    "registered_rules",
    "rule_choices",
    "run_rules",
]
