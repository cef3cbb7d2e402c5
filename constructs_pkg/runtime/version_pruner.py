"""Retire old Lambda versions after a release, without ever touching one that is in use.

A SafeFunction keeps every version (each is a rollback target), so a busy function piles up
versions until the account's code storage (75 GB) stops deploys. A CloudFormation custom
resource (``Custom::VersionRetention``) runs this handler after the alias finished
shifting, on every release, and deletes versions beyond the newest ``Keep``. It never
deletes:

* a version any alias points at, or shifts weight to (the current and the previous target
  during a deployment);
* a version with provisioned concurrency;
* anything while the function's alias is shifting (a deployment is running);
* ``$LATEST``.

A cleanup failure never fails a release: the handler logs it and always reports
``SUCCESS`` to CloudFormation, exactly once (in ``finally:``). Standard library and boto3.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

__all__ = ["PruneReport", "handle", "handler", "protected_versions", "prune"]

#: Property names of the custom resource (set by SafeFunction, read here).
FUNCTION_NAME = "FunctionName"
ALIAS_NAME = "AliasName"
KEEP = "Keep"


@dataclass
class PruneReport:
    """What one run did."""

    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready summary (logged, and returned to CloudFormation as Data)."""
        return {
            "Deleted": ",".join(self.deleted),
            "Kept": ",".join(self.kept),
            "Failed": json.dumps(self.failed, sort_keys=True),
            "Skipped": self.skipped or "",
        }


def _pages(call: Callable[..., Mapping[str, Any]], key: str, **params: Any) -> Iterator[Any]:
    """Every item of a paginated Lambda list call (``NextMarker`` / ``Marker``)."""
    marker: str | None = None
    while True:
        page = call(**params, **({"Marker": marker} if marker else {}))
        yield from page.get(key, [])
        marker = page.get("NextMarker")
        if not marker:
            return


def protected_versions(lambda_client: Any, function_name: str) -> tuple[set[str], bool]:
    """Return the versions that must stay, and whether an alias is shifting traffic.

    Every alias's target and every version it shifts weight to, and every version with
    provisioned concurrency, are protected; a shifting alias means a deployment is running.
    """
    protected: set[str] = set()
    shifting = False
    for alias in _pages(lambda_client.list_aliases, "Aliases", FunctionName=function_name):
        protected.add(str(alias["FunctionVersion"]))
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if weights:
            shifting = True
            protected.update(str(v) for v in weights)
    for config in _pages(
        lambda_client.list_provisioned_concurrency_configs,
        "ProvisionedConcurrencyConfigs",
        FunctionName=function_name,
    ):
        qualifier = str(config["FunctionArn"]).rsplit(":", 1)[-1]
        protected.add(qualifier)  # a version, or an alias (already protected above)
    return protected, shifting


def prune(lambda_client: Any, *, function_name: str, keep: int) -> PruneReport:
    """Delete the versions of ``function_name`` beyond the newest ``keep`` that nothing uses."""
    if keep < 1:
        raise ValueError(f"keep={keep} is not allowed: expected at least 1")
    report = PruneReport()
    protected, shifting = protected_versions(lambda_client, function_name)
    if shifting:
        report.skipped = "an alias is shifting traffic (a deployment is running)"
        return report
    versions = sorted(
        (
            int(v["Version"])
            for v in _pages(
                lambda_client.list_versions_by_function, "Versions", FunctionName=function_name
            )
            if str(v["Version"]).isdigit()
        ),
        reverse=True,
    )
    newest = {str(v) for v in versions[:keep]}
    for version in sorted(versions):  # oldest first
        name = str(version)
        if name in newest or name in protected:
            report.kept.append(name)
            continue
        try:
            # The qualified name: the IAM resource is the version, never the whole function.
            lambda_client.delete_function(FunctionName=f"{function_name}:{name}")
            report.deleted.append(name)
        except Exception as exc:  # one failure must not stop the rest, nor the release
            report.failed[name] = f"{type(exc).__name__}: {exc}"[:300]
    return report


def _send(url: str, body: Mapping[str, Any]) -> None:
    """PUT the custom resource response to CloudFormation's pre-signed URL."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "", "Content-Length": str(len(data))}
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def handle(
    event: Mapping[str, Any],
    context: Any,
    *,
    lambda_client: Any,
    send: Callable[[str, Mapping[str, Any]], None] = _send,
) -> dict[str, Any]:
    """Run one custom resource request and report ``SUCCESS`` exactly once, whatever happens."""
    properties = event.get("ResourceProperties") or {}
    function_name = str(properties.get(FUNCTION_NAME, ""))
    physical_id = event.get("PhysicalResourceId") or f"{function_name}-version-retention"
    data: dict[str, Any] = {}
    reason = "nothing to do"
    try:
        if event.get("RequestType") in ("Create", "Update"):
            report = prune(lambda_client, function_name=function_name, keep=int(properties[KEEP]))
            data = report.to_json()
            reason = f"deleted {len(report.deleted)}, kept {len(report.kept)}"
            if report.skipped:
                reason = f"skipped: {report.skipped}"
            if report.failed:
                reason += f", {len(report.failed)} could not be deleted"
                logger.warning("versions not deleted: %s", report.failed)
    except Exception as exc:  # the release must not fail because of the cleanup
        reason = f"cleanup failed, nothing else affected: {type(exc).__name__}: {exc}"[:500]
        logger.exception("version cleanup failed")
    finally:
        body = {
            "Status": "SUCCESS",
            "Reason": reason,
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
            "Data": data,
        }
        logger.info(json.dumps({"function": function_name, "reason": reason}))
        try:
            send(str(event.get("ResponseURL", "")), body)
        except Exception:  # CloudFormation would wait an hour; nothing more we can do
            logger.exception("could not report to CloudFormation")
    return body


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``constructs_pkg.runtime.version_pruner.handler``)."""
    import boto3

    return handle(event, context, lambda_client=boto3.client("lambda"))
