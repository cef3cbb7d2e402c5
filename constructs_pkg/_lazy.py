"""Values computed at synth time, after every mutating call (add_producer, add_rollback_alarm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
from aws_cdk import CfnResource, IStableAnyProducer, IStableStringProducer, Lazy
from constructs import IConstruct


@jsii.implements(IStableAnyProducer)
class _Produce:
    def __init__(self, produce: Callable[[], Any]) -> None:
        self._produce = produce

    def produce(self) -> Any:
        return self._produce()


@jsii.implements(IStableStringProducer)
class _ProduceString:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


def lazy_string(produce: Callable[[], str]) -> str:
    """Return a string token whose value ``produce()`` computes at synth time."""
    return Lazy.string(_ProduceString(produce))


def add_lazy_metadata(construct: IConstruct, key: str, produce: Callable[[], Any]) -> None:
    """Add metadata ``key`` to the construct's CloudFormation resource, computed at synth."""
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnResource)
    cfn.add_metadata(key, Lazy.any(_Produce(produce)))
