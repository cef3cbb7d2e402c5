"""ReleaseOrder keeps its graph per App: apps in one process never share edges."""

from __future__ import annotations

import pytest
from aws_cdk import Stack, Stage
from constructs import Construct

from constructs_pkg import ConfigurationError, FifoOrderedConsumer, SafeFunction
from constructs_pkg.contracts.order import RELEASE_ORDER_ID, ReleaseOrder
from tests.cdk_helpers import function_kwargs, new_app, new_stack


def _wire(stack: Stack, *, reversed_roles: bool) -> None:
    """Same construct paths in each app; producer and consumer swap roles when reversed."""
    a = SafeFunction(stack, "A", **function_kwargs())
    b = SafeFunction(stack, "B", **function_kwargs())
    to_a = FifoOrderedConsumer(stack, "ToA", consumer=a)
    to_b = FifoOrderedConsumer(stack, "ToB", consumer=b)
    if reversed_roles:
        to_a.add_producer(b, format_version=1)  # B is released after A
    else:
        to_b.add_producer(a, format_version=1)  # A is released after B


def test_a_second_app_does_not_inherit_the_first_apps_edges():
    first, second = new_stack(), new_stack()
    assert first.node.root.node.addr == second.node.root.node.addr  # why addr was wrong
    _wire(first, reversed_roles=False)
    _wire(second, reversed_roles=True)  # a "cycle" only if the graphs were shared
    assert ReleaseOrder.of(first).edges == {"TestStack/A": {"TestStack/B"}}
    assert ReleaseOrder.of(second).edges == {"TestStack/B": {"TestStack/A"}}
    assert ReleaseOrder.of(first) is not ReleaseOrder.of(second)


def test_one_app_has_one_graph_for_every_stack_and_stage():
    app = new_app()
    stage = Stage(app, "Prod")
    one, other = Stack(app, "One"), Stack(stage, "Other")
    assert ReleaseOrder.of(one) is ReleaseOrder.of(other) is ReleaseOrder.of(app)
    assert ReleaseOrder.of(app).node.path == RELEASE_ORDER_ID


def test_a_cycle_inside_one_app_is_still_found():
    stack = new_stack()
    _wire(stack, reversed_roles=False)
    with pytest.raises(ConfigurationError, match="this would make a cycle"):
        _wire_reverse_in_place(stack)


def _wire_reverse_in_place(stack: Stack) -> None:
    a = stack.node.find_child("A")
    b = stack.node.find_child("B")
    to_a = stack.node.find_child("ToA")
    assert isinstance(to_a, FifoOrderedConsumer)
    assert isinstance(a, SafeFunction)
    assert isinstance(b, SafeFunction)
    to_a.add_producer(b, format_version=1)


def test_the_id_taken_by_something_else_is_a_clear_error():
    app = new_app()
    Construct(app, RELEASE_ORDER_ID)
    with pytest.raises(ConfigurationError, match=f"construct id='{RELEASE_ORDER_ID}'"):
        ReleaseOrder.of(app)


def test_the_graph_adds_nothing_to_the_templates():
    app = new_app()
    stack = Stack(app, "Shop")
    _wire(stack, reversed_roles=False)
    assembly = app.synth()
    assert [s.stack_name for s in assembly.stacks] == ["Shop"]
