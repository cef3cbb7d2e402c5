"""The alias guard: with nothing registered, ``cdk synth`` fails when something bypasses an alias.

Every SafeFunction registers it (once per Stage): a validation plugin that runs the
``UnqualifiedInvoke`` rule, so an event source, permission, subscription, API integration,
rule or state-machine target on a SafeFunction's unqualified function (``$LATEST``) fails
the synth with a message naming both ends and the fix. Like every finding of the rule pack
it is acknowledged with ``DeploymentSafety::UnqualifiedInvoke`` and a reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from aws_cdk import IPolicyValidationContext, PolicyValidationPluginReport, Stage, Validations
from constructs import Construct, IConstruct

from constructs_pkg.checks.plugin import DeploymentSafetyChecks
from constructs_pkg.checks.rules import RULES, CheckOptions

__all__ = ["AliasGuard"]

#: Id of the marker construct (under the Stage) that says the guard is registered there.
GUARD_ID = "ConstructsPkgAliasGuard"
#: The rules the guard runs.
GUARD_RULES = tuple(rule for rule in RULES if rule.id == "UnqualifiedInvoke")


class _GuardPlugin(DeploymentSafetyChecks):
    """The guard's plugin; stands aside while ``validate_scope`` reports the same findings."""

    def __init__(self) -> None:
        super().__init__(rules=GUARD_RULES)
        self.suspended = False

    def _plugin_options(self) -> CheckOptions:
        """Report bypasses of SafeFunctions only (the full pack reports the others)."""
        return replace(self._options, released="only")

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        """Run the guard's rules, unless a ``validate_scope`` is reporting them itself."""
        if self.suspended:
            return PolicyValidationPluginReport(success=True, violations=[])
        return super().validate(context)


class AliasGuard(Construct):
    """Marker under a Stage: its alias guard plugin is registered. Use :meth:`of`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._plugin = _GuardPlugin()
        Validations.of(scope).add_plugins(self._plugin)

    @classmethod
    def of(cls, scope: IConstruct) -> AliasGuard:
        """Register the guard for ``scope``'s Stage (once) and return its marker."""
        stage = Stage.of(scope)
        root: IConstruct = stage if stage is not None else scope.node.root
        existing = root.node.try_find_child(GUARD_ID)
        if isinstance(existing, AliasGuard):
            return existing
        return cls(root, GUARD_ID)  # type: ignore[arg-type]

    @staticmethod
    @contextmanager
    def standing_aside(scope: IConstruct) -> Iterator[None]:
        """Let ``scope``'s app synthesize without the guard failing it.

        Whoever asks reports the guard's findings itself (``validate_scope`` does).
        """
        guards = [c for c in scope.node.root.node.find_all() if isinstance(c, AliasGuard)]
        for guard in guards:
            guard._plugin.suspended = True
        try:
            yield
        finally:
            for guard in guards:
                guard._plugin.suspended = False
