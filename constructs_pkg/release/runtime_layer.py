"""Ship ``constructs_pkg.runtime`` to Lambda: as a layer for handlers, as code for hooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

__all__ = ["RuntimeLayer", "runtime_code"]

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
LAYER_ID = "ConstructsPkgRuntimeLayer"
#: Runtimes the layer is compatible with (the runtime code needs Python 3.11+).
LAYER_RUNTIMES = (
    lambda_.Runtime.PYTHON_3_11,
    lambda_.Runtime.PYTHON_3_12,
    lambda_.Runtime.PYTHON_3_13,
    lambda_.Runtime.PYTHON_3_14,
)


@jsii.implements(ILocalBundling)
class _CopyRuntime:
    """Local bundling: copy the runtime modules to ``<prefix>constructs_pkg/runtime``."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        target = Path(output_dir) / self._prefix / "constructs_pkg" / "runtime"
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted(RUNTIME_DIR.glob("*.py")):
            if source.name != "__init__.py":
                shutil.copyfile(source, target / source.name)
        # No constructs_pkg/__init__.py: `constructs_pkg` is a namespace package there, so
        # importing the runtime never imports aws_cdk.
        (target / "__init__.py").write_text('"""constructs_pkg runtime helpers."""\n')
        return True


def runtime_code(*, prefix: str = "") -> lambda_.Code:
    """Code asset holding ``constructs_pkg/runtime`` under ``prefix`` (``python/`` for a layer).

    Built by copying files (no Docker); handlers inside it are named
    ``constructs_pkg.runtime.<module>.<function>``.
    """
    return lambda_.Code.from_asset(
        str(RUNTIME_DIR),
        exclude=["__pycache__", "*.pyc", "*.pyo"],
        bundling=BundlingOptions(
            # Only a fallback for the type; local bundling always succeeds.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            local=_CopyRuntime(prefix),
        ),
    )


class RuntimeLayer(lambda_.LayerVersion):
    """A Lambda layer with the ``constructs_pkg.runtime`` helpers (stdlib + boto3 only).

    Handlers import them as in tests: ``from constructs_pkg.runtime.batch import
    process_fifo_batch``. The layer is built by copying files (no Docker). Use
    :meth:`of` to share one layer per stack.

    Examples
    --------
    ::

        fn = SafeFunction(stack, "Projector", ..., layers=[RuntimeLayer.of(stack)])
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(
            scope,
            construct_id,
            code=runtime_code(prefix="python"),
            compatible_runtimes=list(LAYER_RUNTIMES),
            description="constructs_pkg runtime helpers (ordered batch processing, smoke hooks)",
            removal_policy=RemovalPolicy.RETAIN,
        )

    @classmethod
    def of(cls, scope: IConstruct) -> RuntimeLayer:
        """Return the stack's shared runtime layer, creating it on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(LAYER_ID)
        if isinstance(existing, RuntimeLayer):
            return existing
        return cls(stack, LAYER_ID)
