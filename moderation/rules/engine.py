"""Run the whole regulation on one piece of content."""

from __future__ import annotations

from dataclasses import replace

from .base import ContentForReview, ReviewResult, registered_rules
from .context import RegulationContext


def run_rules(content: ContentForReview, *, context: RegulationContext) -> ReviewResult:
    """Check ``content`` against every enabled rule and report every finding together.

    An admin's severity override for a rule replaces the severity of all its findings (a
    banned term's own severity applies only when its rule has no override). Runs no query:
    everything configurable is in ``context``, except what ``context.find_duplicates`` does.
    """
    findings = []
    for rule in registered_rules():
        if not context.is_enabled(rule.code):
            continue
        override = context.severity_override(rule.code)
        for finding in rule.check(content, context):
            findings.append(replace(finding, severity=override) if override else finding)
    return ReviewResult(tuple(findings))
