"""Acknowledgments the library writes for findings that are intrinsic to its design.

Each is written with its reason and only for the exact finding (cdk-nag matches finding
ids exactly), so everything else still reaches the user.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` on ``scope`` (and its children) with ``reason``."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def logical_id(construct: IConstruct) -> str:
    """Return the logical id of a construct's CloudFormation resource (as cdk-nag prints it)."""
    element = construct.node.default_child
    assert isinstance(element, CfnElement)
    return str(Stack.of(construct).resolve(element.logical_id))
