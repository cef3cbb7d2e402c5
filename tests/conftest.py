"""Shared fixtures. aws_cdk is imported lazily by the modules that need it."""

from __future__ import annotations

import os

# jsii prints a banner on Node 20 (end of life); set before aws_cdk starts its Node process.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

pytest_plugins = ["constructs_pkg.testing"]
