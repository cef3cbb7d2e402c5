"""The runtime layer holds the helpers where Lambda's Python runtime finds them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aws_cdk import Stack

from constructs_pkg import RuntimeLayer
from constructs_pkg.release.runtime_layer import RUNTIME_DIR
from tests.cdk_helpers import TEST_ENV, new_app


def test_one_layer_per_stack_with_importable_helpers():
    app = new_app()
    stack = Stack(app, "S", env=TEST_ENV)
    layer = RuntimeLayer.of(stack)
    assert RuntimeLayer.of(stack) is layer
    assembly = app.synth()
    assets = [p for p in Path(assembly.directory).glob("asset.*") if (p / "python").is_dir()]
    assert len(assets) == 1
    python_dir = assets[0] / "python"
    shipped = sorted(p.name for p in (python_dir / "constructs_pkg" / "runtime").glob("*.py"))
    assert shipped == sorted(p.name for p in RUNTIME_DIR.glob("*.py"))
    assert "env.py" in shipped  # the names every runtime module reads
    assert not (python_dir / "constructs_pkg" / "__init__.py").exists()
    # As in Lambda: only the layer on the path (-S: no site-packages, so no aws_cdk, no
    # installed constructs_pkg). The import must work and must not need aws_cdk.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from constructs_pkg.runtime.batch import process_fifo_batch;"
        "assert 'aws_cdk' not in sys.modules;"
        "print(process_fifo_batch({'Records': []}, print))"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, str(python_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert result.stdout.strip() == "{'batchItemFailures': []}"
