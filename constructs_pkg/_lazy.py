"""Values computed at synth time, after every mutating call (add_producer, add_rollback_alarm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
from aws_cdk import CfnResource, IStableAnyProducer, IStableStringProducer, Lazy
from constructs import IConstruct

from constructs_pkg.assembly.records import Record


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


def add_lazy_metadata(construct: IConstruct, key: str, produce: Callable[[], Record]) -> None:
    """Add the record ``produce()`` as metadata ``key`` of the construct's resource, at synth."""
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnResource)
    cfn.add_metadata(key, Lazy.any(_Produce(lambda: produce().to_metadata())))


def add_metadata(construct: IConstruct, record: Record) -> None:
    """Add ``record`` (known now) as metadata of the construct's CloudFormation resource."""
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnResource)
    cfn.add_metadata(record.key, record.to_metadata())
