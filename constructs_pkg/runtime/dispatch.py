"""One container image, many functions: call the handler named in ``HANDLER``.

A FunctionFleet built from a container image runs every member from the same image.
Set the image's command to ``constructs_pkg.runtime.dispatch.handler``; the fleet sets
``HANDLER=module.function`` on each member. The target is imported once per execution
environment, and the fleet's secrets (``CONSTRUCTS_PKG_SECRETS``) are loaded before the
first call. Standard library and boto3 only.

Examples
--------
Dockerfile::

    FROM public.ecr.aws/lambda/python:3.12
    COPY service/ constructs_pkg/ ${LAMBDA_TASK_ROOT}/
    CMD ["constructs_pkg.runtime.dispatch.handler"]
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from constructs_pkg.runtime.env import HANDLER_ENV
from constructs_pkg.runtime.secrets import load_secrets

__all__ = ["HANDLER_ENV", "DispatchError", "handler", "resolve"]


_cache: dict[str, Callable[..., Any]] = {}


class DispatchError(RuntimeError):
    """``HANDLER`` is missing or does not name a callable ``module.function``."""


def resolve(target: str) -> Callable[..., Any]:
    """Import ``module.function`` (once) and return the function."""
    found = _cache.get(target)
    if found is not None:
        return found
    module_name, _, attribute = target.rpartition(".")
    if not module_name or not attribute:
        raise DispatchError(f"{HANDLER_ENV}={target!r} is not module.function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DispatchError(
            f"{HANDLER_ENV}={target!r}: cannot import {module_name}: {exc}"
        ) from exc
    function: Callable[..., Any] | None = getattr(module, attribute, None)
    if function is None or not callable(function):
        raise DispatchError(f"{HANDLER_ENV}={target!r}: {module_name} has no function {attribute}")
    _cache[target] = function
    return function


def handler(event: Any, context: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Lambda entry point of a fleet image: load secrets, call ``HANDLER``'s function."""
    env = os.environ if environ is None else environ
    target = env.get(HANDLER_ENV)
    if not target:
        raise DispatchError(f"{HANDLER_ENV} is not set: the fleet sets it on every member")
    function = resolve(target)
    load_secrets()
    return function(event, context)
