"""Builds the sample CDK app.

``build(app)`` adds every stack to an existing ``App`` so tests can synthesize the
exact app ``cdk synth`` runs, with their own App settings.
"""

from __future__ import annotations

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from constructs_pkg.checks import DeploymentSafetyChecks
from sample_app.stacks import OrderServiceStack

#: A fixed, fake environment keeps the templates deterministic and account-agnostic.
SAMPLE_ENV = Environment(account="123456789012", region="eu-west-1")


def build(app: App) -> list[Stack]:
    """Add the sample stacks to ``app`` and return them."""
    return [OrderServiceStack(app, "OrderService", env=SAMPLE_ENV)]


def add_checks(app: App) -> None:
    """Run the deployment-safety rules and cdk-nag's AWS Solutions pack on every synth."""
    Validations.of(app).add_plugins(DeploymentSafetyChecks(), AwsSolutionsChecks(app))


def main() -> None:
    """Synthesize the sample app (what ``cdk synth`` runs)."""
    app = App()
    build(app)
    add_checks(app)
    app.synth()
