"""The image dispatcher calls the member's handler named in HANDLER."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_pkg.runtime import dispatch
from constructs_pkg.runtime.dispatch import DispatchError, handler, resolve

SERVICE = Path(__file__).resolve().parents[2] / "sample_app" / "service"


@pytest.fixture(autouse=True)
def service_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SERVICE))
    monkeypatch.delenv("CONSTRUCTS_PKG_SECRETS", raising=False)


def test_calls_the_handler_named_in_the_environment() -> None:
    result = handler({"sku": "SKU-9"}, None, environ={"HANDLER": "catalog.handler"})
    assert result["sku"] == "SKU-9"
    assert resolve("catalog.handler") is sys.modules["catalog"].handler


def test_imports_once() -> None:
    assert resolve("catalog.handler") is resolve("catalog.handler")
    assert "catalog.handler" in dispatch._cache


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "HANDLER is not set"),
        ({"HANDLER": "catalog"}, "is not module.function"),
        ({"HANDLER": "nope_module.handler"}, "cannot import nope_module"),
        ({"HANDLER": "catalog.missing"}, "catalog has no function missing"),
    ],
)
def test_bad_handler(env: dict[str, Any], message: str) -> None:
    with pytest.raises(DispatchError, match=message):
        handler({}, None, environ=env)
