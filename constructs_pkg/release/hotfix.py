"""Hotfix mode: one deploy that shifts every SafeFunction at once and ignores its alarms."""

from __future__ import annotations

from constructs import Construct

from constructs_pkg import defaults
from constructs_pkg.errors import ConfigurationError

__all__ = ["hotfix_enabled"]


def hotfix_enabled(scope: Construct) -> bool:
    """Return True when the context ``constructs_pkg:hotfix`` asks for an emergency deploy.

    Accepts ``true``/``false`` (any case) or a boolean; anything else is an error,
    because a typo must not silently turn the safety net off or on.
    """
    raw = scope.node.try_get_context(defaults.HOTFIX_CONTEXT_KEY)
    if raw is None or raw is False:
        return False
    if raw is True:
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise ConfigurationError(
        f"context {defaults.HOTFIX_CONTEXT_KEY}",
        raw,
        "true or false (cdk deploy -c constructs_pkg:hotfix=true)",
        path=scope.node.path,
    )
