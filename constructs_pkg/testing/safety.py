"""One-line deployment-safety assertions for tests."""

from __future__ import annotations

from constructs import IConstruct

from constructs_pkg.checks import DeploymentSafetyChecks, SafetyReport

__all__ = ["assert_no_safety_findings"]


def assert_no_safety_findings(
    scope: IConstruct,
    *,
    account_concurrency: int = 1000,
    min_unreserved: int = 100,
    include_warnings: bool = True,
) -> SafetyReport:
    """Fail listing every deployment-safety finding in ``scope`` (a Stack or an App).

    Acknowledged findings do not count. With ``include_warnings=False`` only errors fail.

    Examples
    --------
    ::

        def test_release_safety(app):
            assert_no_safety_findings(app)
    """
    report = DeploymentSafetyChecks(
        account_concurrency=account_concurrency, min_unreserved=min_unreserved
    ).validate_scope(scope)
    failing = report.findings if include_warnings else tuple(report.errors)
    if failing:
        listing = "\n".join(f"  {f}" for f in failing)
        raise AssertionError(f"{len(failing)} deployment-safety finding(s):\n{listing}")
    return report
