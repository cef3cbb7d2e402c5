"""Values computed at synth time, after every mutating call (add_producer, add_rollback_alarm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
from aws_cdk import CfnResource, IStableAnyProducer, Lazy
from constructs import IConstruct


@jsii.implements(IStableAnyProducer)
class _Produce:
    def __init__(self, produce: Callable[[], Any]) -> None:
        self._produce = produce

    def produce(self) -> Any:
        return self._produce()


def add_lazy_metadata(construct: IConstruct, key: str, produce: Callable[[], Any]) -> None:
    """Add metadata ``key`` to the construct's CloudFormation resource, computed at synth."""
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnResource)
    cfn.add_metadata(key, Lazy.any(_Produce(produce)))
