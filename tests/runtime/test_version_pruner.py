"""The version pruner against botocore's Stubber: only unused versions go, a release never fails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.stub import Stubber

from constructs_pkg.runtime import version_pruner

FUNCTION = "orders"
ARN = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}"


def _aliases(stub: Stubber, *aliases: dict[str, Any]) -> None:
    stub.add_response(
        "list_aliases",
        {"Aliases": [{"AliasArn": f"{ARN}:{a['Name']}", **a} for a in aliases]},
        {"FunctionName": FUNCTION},
    )


def _provisioned(stub: Stubber, *qualifiers: str) -> None:
    stub.add_response(
        "list_provisioned_concurrency_configs",
        {"ProvisionedConcurrencyConfigs": [{"FunctionArn": f"{ARN}:{q}"} for q in qualifiers]},
        {"FunctionName": FUNCTION},
    )


def _versions(stub: Stubber, count: int, *, page_size: int = 50) -> None:
    names = ["$LATEST", *[str(v) for v in range(1, count + 1)]]
    pages = [names[i : i + page_size] for i in range(0, len(names), page_size)]
    for index, page in enumerate(pages):
        response: dict[str, Any] = {"Versions": [{"Version": v} for v in page]}
        params: dict[str, Any] = {"FunctionName": FUNCTION}
        if index + 1 < len(pages):
            response["NextMarker"] = f"m{index + 1}"
        if index:
            params["Marker"] = f"m{index}"
        stub.add_response("list_versions_by_function", response, params)


def _deletes(stub: Stubber, *versions: int, error: Mapping[int, str] | None = None) -> None:
    for version in versions:
        params = {"FunctionName": f"{FUNCTION}:{version}"}
        if error and version in error:
            stub.add_client_error("delete_function", error[version], expected_params=params)
        else:
            stub.add_response("delete_function", {}, params)


def test_keeps_the_newest_and_every_version_in_use(stubbed):
    client, stub = stubbed
    _aliases(stub, {"Name": "live", "FunctionVersion": "2"})  # rolled back to an old one
    _provisioned(stub, "3")
    _versions(stub, 14)
    _deletes(stub, 1, 4)  # 2 is the alias's, 3 has provisioned concurrency, 5-14 are newest
    report = version_pruner.prune(client, function_name=FUNCTION, keep=10)
    assert report.deleted == ["1", "4"]
    assert report.kept == [str(v) for v in (2, 3, *range(5, 15))]
    assert report.failed == {}


def test_nothing_is_deleted_while_an_alias_shifts(stubbed):
    client, stub = stubbed
    _aliases(
        stub,
        {
            "Name": "live",
            "FunctionVersion": "7",
            "RoutingConfig": {"AdditionalVersionWeights": {"8": 0.1}},
        },
    )
    _provisioned(stub)
    report = version_pruner.prune(client, function_name=FUNCTION, keep=1)
    assert report.deleted == []
    assert report.skipped is not None
    assert "deployment is running" in report.skipped


def test_pages_are_followed(stubbed):
    client, stub = stubbed
    _aliases(stub, {"Name": "live", "FunctionVersion": "120"})
    _provisioned(stub)
    _versions(stub, 120, page_size=50)
    _deletes(stub, *range(1, 111))
    report = version_pruner.prune(client, function_name=FUNCTION, keep=10)
    assert len(report.deleted) == 110
    assert report.kept == [str(v) for v in range(111, 121)]


def test_one_failed_delete_does_not_stop_the_rest(stubbed):
    client, stub = stubbed
    _aliases(stub, {"Name": "live", "FunctionVersion": "4"})
    _provisioned(stub)
    _versions(stub, 4)
    _deletes(stub, 1, 2, error={1: "ResourceConflictException"})
    report = version_pruner.prune(client, function_name=FUNCTION, keep=2)
    assert report.deleted == ["2"]
    assert set(report.failed) == {"1"}
    assert "ResourceConflictException" in report.failed["1"]


def _event(request_type: str, keep: str = "2") -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/abc",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/S/1",
        "RequestId": "req-1",
        "LogicalResourceId": "OrdersVersionRetention",
        "ResourceProperties": {
            version_pruner.FUNCTION_NAME: FUNCTION,
            version_pruner.ALIAS_NAME: "live",
            version_pruner.KEEP: keep,
        },
    }


def test_handler_reports_success_once_after_pruning(stubbed):
    client, stub = stubbed
    _aliases(stub, {"Name": "live", "FunctionVersion": "3"})
    _provisioned(stub)
    _versions(stub, 3)
    _deletes(stub, 1)
    sent: list[tuple[str, Mapping[str, Any]]] = []
    version_pruner.handle(
        _event("Update"), None, lambda_client=client, send=lambda *a: sent.append(a)
    )
    (url, body) = sent[0]
    assert len(sent) == 1
    assert url.startswith("https://cloudformation-custom-resource-response")
    assert body["Status"] == "SUCCESS"
    assert body["Data"]["Deleted"] == "1"
    assert body["PhysicalResourceId"] == f"{FUNCTION}-version-retention"


def test_a_crash_still_reports_success_and_the_release_goes_on(stubbed):
    client, stub = stubbed
    stub.add_client_error("list_aliases", "AccessDeniedException")
    sent: list[tuple[str, Mapping[str, Any]]] = []
    version_pruner.handle(
        _event("Create"), None, lambda_client=client, send=lambda *a: sent.append(a)
    )
    (_, body) = sent[0]
    assert body["Status"] == "SUCCESS"
    assert "cleanup failed, nothing else affected: ClientError" in body["Reason"]


def test_delete_of_the_resource_deletes_nothing(stubbed):
    client, _ = stubbed  # no call to Lambda is expected at all
    sent: list[tuple[str, Mapping[str, Any]]] = []
    version_pruner.handle(
        _event("Delete"), None, lambda_client=client, send=lambda *a: sent.append(a)
    )
    assert [body["Status"] for _, body in sent] == ["SUCCESS"]


def test_a_bad_keep_is_reported_not_raised(stubbed):
    client, _ = stubbed
    sent: list[tuple[str, Mapping[str, Any]]] = []
    version_pruner.handle(
        _event("Update", keep="0"), None, lambda_client=client, send=lambda *a: sent.append(a)
    )
    (_, body) = sent[0]
    assert body["Status"] == "SUCCESS"
    assert "keep=0 is not allowed" in body["Reason"]
