"""The release id every fleet member is stamped with: given, from context, or from the code."""

from __future__ import annotations

import hashlib
import re

from aws_cdk import Stack, Token
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_pkg import defaults
from constructs_pkg._validation import is_unresolved
from constructs_pkg.errors import ConfigurationError

__all__ = ["derive_release_id", "resolve_release_id"]

_RELEASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


def resolve_release_id(scope: Construct, release_id: str | None, code: lambda_.CodeConfig) -> str:
    """Return ``release_id``, else the context ``constructs_pkg:release-id``, else one from code."""
    argument = "release_id"
    if release_id is None:
        from_context = scope.node.try_get_context(defaults.RELEASE_ID_CONTEXT_KEY)
        if from_context is not None:
            argument = f"context {defaults.RELEASE_ID_CONTEXT_KEY}"
            release_id = str(from_context)
    if release_id is None:
        derived = derive_release_id(code, Stack.of(scope))
        if derived is None:
            raise ConfigurationError(
                "release_id",
                None,
                "a release id (release_id= or -c constructs_pkg:release-id=...)",
                path=scope.node.path,
                reason="The code is not an asset or inline code, so no id can be derived from it.",
            )
        return derived
    if is_unresolved(release_id) or not _RELEASE_ID.fullmatch(release_id):
        raise ConfigurationError(
            argument,
            release_id,
            "1-64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit "
            "(known at synth time)",
            path=scope.node.path,
        )
    return release_id


def derive_release_id(config: lambda_.CodeConfig, stack: Stack) -> str | None:
    """First characters of the asset hash (zip or image), or of the inline code's SHA-256."""
    size = defaults.RELEASE_ID_HASH_LENGTH
    if config.s3_location is not None:
        key = config.s3_location.object_key
        if not Token.is_unresolved(key):
            stem = key.rsplit("/", 1)[-1].split(".", 1)[0]
            return (
                stem[:size]
                if len(stem) >= size
                else hashlib.sha256(key.encode()).hexdigest()[:size]
            )
    if config.image is not None:
        # An image asset's URI is a token that resolves to {"Fn::Sub": "...repo:<hash>"}.
        uri = stack.resolve(config.image.image_uri)
        if isinstance(uri, dict) and isinstance(uri.get("Fn::Sub"), str):
            uri = uri["Fn::Sub"]
        tag = uri.rsplit(":", 1)[-1] if isinstance(uri, str) else ""
        if re.fullmatch(r"[0-9a-f]{12,}", tag):
            return tag[:size]
    if config.inline_code is not None and not Token.is_unresolved(config.inline_code):
        return hashlib.sha256(config.inline_code.encode()).hexdigest()[:size]
    return None
