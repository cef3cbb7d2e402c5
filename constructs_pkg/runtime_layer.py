"""RuntimeLayer: ship ``constructs_pkg.runtime`` to your handlers as a Lambda layer."""

from __future__ import annotations

import shutil
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

__all__ = ["RuntimeLayer"]

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
LAYER_ID = "ConstructsPkgRuntimeLayer"


@jsii.implements(ILocalBundling)
class _CopyRuntime:
    """Local bundling: copy the runtime modules to ``python/constructs_pkg/runtime``."""

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        target = Path(output_dir) / "python" / "constructs_pkg" / "runtime"
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted(RUNTIME_DIR.glob("*.py")):
            if source.name != "__init__.py":
                shutil.copyfile(source, target / source.name)
        # No constructs_pkg/__init__.py in the layer: `constructs_pkg` is a namespace
        # package there, so importing the runtime never imports aws_cdk.
        (target / "__init__.py").write_text('"""constructs_pkg runtime helpers (layer)."""\n')
        return True


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
            code=lambda_.Code.from_asset(
                str(RUNTIME_DIR),
                exclude=["__pycache__", "*.pyc"],
                bundling=BundlingOptions(
                    # Only a fallback for the type; local bundling always succeeds.
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
                    local=_CopyRuntime(),
                ),
            ),
            compatible_runtimes=[
                lambda_.Runtime.PYTHON_3_11,
                lambda_.Runtime.PYTHON_3_12,
                lambda_.Runtime.PYTHON_3_13,
                lambda_.Runtime.PYTHON_3_14,
            ],
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
