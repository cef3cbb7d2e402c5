"""`constructs-pkg plan` on a corpus of hostile assemblies: exit 2 and one line, never a
traceback or a hang; and the decommission check is linear in the template size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from constructs_pkg.assembly import AssemblyError, direct_refs, load_assembly
from constructs_pkg.assembly.files import MAX_FILE_BYTES
from constructs_pkg.assembly.records import CONSUMER_METADATA_KEY, RELEASE_METADATA_KEY
from constructs_pkg.tools.cli import main
from tests.tools.assemblies import (
    DROP,
    STACK,
    consumer_with,
    manifest,
    release_with,
    rollout_with,
    template,
    valid,
    with_record,
    write,
)

TEMPLATE = f"{STACK}.template.json"


def _stack(content: Any) -> dict[str, Any]:
    """Files of an assembly whose one template is ``content``."""
    return {"manifest.json": manifest(), TEMPLATE: content}


def _manifest(content: Any) -> dict[str, Any]:
    return {"manifest.json": content, TEMPLATE: template()}


def _artifact(artifact: Any) -> dict[str, Any]:
    return _manifest({"artifacts": {STACK: artifact}})


STACK_TYPE = "aws:cloudformation:stack"

#: name -> (files, a fragment of the one error line)
CORPUS: dict[str, tuple[dict[str, Any], str | None]] = {
    # manifest.json
    "manifest []": (_manifest([]), "manifest.json is a list, not an object"),
    "manifest null": (_manifest(None), "manifest.json is null, not an object"),
    "manifest string": (_manifest("cdk"), "manifest.json is a string"),
    "manifest number": (_manifest(55), "manifest.json is a number"),
    "manifest not JSON": (_manifest(b"{"), "manifest.json is not JSON"),
    "manifest not UTF-8": (_manifest(b"\xff\xfe{}"), "manifest.json is not JSON"),
    "manifest nested too deeply": (
        _manifest(b"[" * 200_000 + b"]" * 200_000),
        "nested too deeply to read",
    ),
    "artifacts list": (_manifest({"artifacts": []}), "artifacts is a list, not an object"),
    "artifacts string": (_manifest({"artifacts": "x"}), "artifacts is a string"),
    "artifact list": (_artifact([]), f"artifact {STACK} is a list"),
    "artifact null": (_artifact(None), f"artifact {STACK} is null"),
    "artifact number": (_artifact(7), f"artifact {STACK} is a number"),
    "stack without properties": (_artifact({"type": STACK_TYPE}), "has no templateFile"),
    "properties list": (
        _artifact({"type": STACK_TYPE, "properties": []}),
        "has no templateFile",
    ),
    "templateFile number": (
        _artifact({"type": STACK_TYPE, "properties": {"templateFile": 5}}),
        "has no templateFile",
    ),
    "templateFile empty": (
        _artifact({"type": STACK_TYPE, "properties": {"templateFile": ""}}),
        "has no templateFile",
    ),
    "templateFile missing": (
        _artifact({"type": STACK_TYPE, "properties": {"templateFile": "gone.json"}}),
        "cannot read template",
    ),
    "templateFile a directory": (
        _artifact({"type": STACK_TYPE, "properties": {"templateFile": "."}}),
        "is not a regular file",
    ),
    "two stacks with one name": (
        _manifest(
            {
                "artifacts": {
                    "A": {"type": STACK_TYPE, "properties": {"templateFile": TEMPLATE}},
                    "B": {
                        "type": STACK_TYPE,
                        "properties": {"templateFile": TEMPLATE},
                        "displayName": "A",
                    },
                }
            }
        ),
        "two stacks are named A",
    ),
    # templates
    "template []": (_stack([]), "is a list, not a template object"),
    "template null": (_stack(None), "is null, not a template object"),
    "template not JSON": (_stack(b'{"Resources": '), "is not JSON"),
    "template number of 5000 digits": (_stack(b"1" * 5000), "is not JSON"),
    "Resources list": (_stack({"Resources": []}), "Resources is a list, not an object"),
    "Resources string": (_stack({"Resources": "x"}), "Resources is a string"),
    "resource number": (_stack({"Resources": {"A": 5}}), "resource A is a number"),
    "resource list": (_stack({"Resources": {"A": []}}), "resource A is a list"),
    "resource without Type": (_stack({"Resources": {"A": {}}}), "resource A has no Type"),
    "resource Type number": (_stack({"Resources": {"A": {"Type": 1}}}), "has no Type"),
    "Metadata list": (
        _stack({"Resources": {"A": {"Type": "AWS::SQS::Queue", "Metadata": []}}}),
        "Metadata of resource A is a list",
    ),
    "Metadata string": (
        _stack({"Resources": {"A": {"Type": "AWS::SQS::Queue", "Metadata": "x"}}}),
        "Metadata of resource A is a string",
    ),
    # partial or mistyped constructs_pkg records (RecordError)
    "release record list": (
        _stack(with_record(RELEASE_METADATA_KEY, "OrdersAlias", [])),
        "constructs_pkg:release: expected an object, got list",
    ),
    "release record string": (
        _stack(with_record(RELEASE_METADATA_KEY, "OrdersAlias", "x")),
        "expected an object, got str",
    ),
    "release without rollout": (_stack(release_with(rollout=DROP)), ".rollout: expected an object"),
    "release without alias": (_stack(release_with(alias=DROP)), ".alias: expected a string"),
    "release hotfix string": (
        _stack(release_with(hotfix="false")),
        ".hotfix: expected true or false",
    ),
    "release alarms string": (_stack(release_with(alarms="a")), ".alarms: expected a list"),
    "release alarm number": (_stack(release_with(alarms=[1])), ".alarms[0]: expected a string"),
    "release window float": (
        _stack(release_with(alarm_window_minutes=1.5)),
        ".alarm_window_minutes: expected a whole number",
    ),
    "release window huge": (
        _stack(release_with(alarm_window_minutes=10**300)),
        None,  # a whole number: accepted, the plan prints it
    ),
    "rollout timeline of triples": (
        _stack(rollout_with(timeline=[[0, 10, 3]])),
        "timeline[0]: expected [minute, percent], got 3 numbers",
    ),
    "rollout timeline of strings": (
        _stack(rollout_with(timeline=["0,10"])),
        ".timeline[0]: expected a list",
    ),
    "consumer without capacity": (
        _stack(consumer_with(capacity=DROP)),
        ".capacity: expected an object",
    ),
    "consumer producers object": (
        _stack(consumer_with(producers={"producer": "x"})),
        ".producers: expected a list",
    ),
    "consumer producer without version": (
        _stack(consumer_with(producers=[{"producer": "x"}])),
        ".producers[0].format_version: expected a whole number",
    ),
    "consumer capacity NaN": (
        _stack(
            with_record(
                CONSUMER_METADATA_KEY,
                "JobsMapping",
                {
                    **consumer_with()["Resources"]["JobsMapping"]["Metadata"][
                        CONSUMER_METADATA_KEY
                    ],
                    "capacity": {
                        "source": "sqs-fifo",
                        "concurrency_formula": "x",
                        "record_duration_seconds": float("nan"),
                        "per_key_records_per_second": 1,
                        "poison_stall_formula": "y",
                    },
                },
            )
        ),
        ".record_duration_seconds: expected a number",
    ),
    "consumer versions strings": (
        _stack(consumer_with(accepted_format_versions=["1"])),
        ".accepted_format_versions[0]: expected a whole number",
    ),
    # nested stacks
    "nested stack pointing at itself": (
        _stack(template(nested=TEMPLATE)),
        "which is one of its own parents",
    ),
    "nested stacks in a cycle": (
        {
            "manifest.json": manifest(),
            TEMPLATE: template(nested="a.nested.json"),
            "a.nested.json": template(nested="b.nested.json"),
            "b.nested.json": template(nested="a.nested.json"),
        },
        "which is one of its own parents",
    ),
    "nested template []": (
        {"manifest.json": manifest(), TEMPLATE: template(nested="n.json"), "n.json": []},
        "is a list, not an object",
    ),
    "nested template malformed resources": (
        {
            "manifest.json": manifest(),
            TEMPLATE: template(nested="n.json"),
            "n.json": {"Resources": {"X": "y"}},
        },
        "resource X is a string",
    ),
    "nested template a directory": (_stack(template(nested=".")), "is not a regular file"),
    "assets manifest not JSON": (
        {
            "manifest.json": manifest(),
            TEMPLATE: {
                "Resources": {
                    "N": {
                        "Type": "AWS::CloudFormation::Stack",
                        "Properties": {"TemplateURL": f"https://b/{'a' * 64}.json"},
                    }
                }
            },
            "Shop.assets.json": b"[",
        },
        "asset manifest",
    ),
}

#: Odd but well-formed: planned (exit 0), never an error.
ACCEPTED: dict[str, dict[str, Any]] = {
    "no artifacts": {"manifest.json": {"version": "55.0.0"}},
    "artifacts null": {"manifest.json": {"artifacts": None}},
    "template without Resources": _stack({}),
    "Resources null": _stack({"Resources": None}),
    "Properties a list": _stack(
        {"Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": []}}}
    ),
    "nested template someone else's": _stack(
        {
            "Resources": {
                "N": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"TemplateURL": "https://example.com/theirs.json"},
                }
            }
        }
    ),
    "two nested stacks sharing one template": {
        "manifest.json": manifest(),
        TEMPLATE: {
            "Resources": {
                **{
                    name: {
                        "Type": "AWS::CloudFormation::Stack",
                        "Metadata": {"aws:asset:path": "member.json"},
                    }
                    for name in ("One", "Two")
                }
            }
        },
        "member.json": template(),
    },
}


def _plan(directory: Path, capsys: Any, *extra: str) -> tuple[int, str, str]:
    code = main(["plan", str(directory), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("constructs-pkg plan: ")


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_assembly_is_one_line_and_exit_2(tmp_path: Path, capsys: Any, case: str) -> None:
    files, fragment = CORPUS[case]
    directory = write(tmp_path / "cdk.out", files)
    code, out, err = _plan(directory, capsys)
    if fragment is None:
        assert code == 0, err
        return
    assert code == 2, out
    _assert_one_line(err)
    assert fragment in err
    # The same assembly as a baseline is refused the same way.
    code, _, err = _plan(valid(tmp_path / "good"), capsys, "--baseline", str(directory))
    assert code == 2
    _assert_one_line(err)


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_odd_but_well_formed_assemblies_plan(tmp_path: Path, capsys: Any, case: str) -> None:
    directory = write(tmp_path / "cdk.out", ACCEPTED[case])
    code, out, err = _plan(directory, capsys)
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("No hazards found.")


def test_two_nested_stacks_sharing_a_template_are_both_read(tmp_path: Path) -> None:
    directory = write(tmp_path / "cdk.out", ACCEPTED["two nested stacks sharing one template"])
    assert sorted(load_assembly(directory).templates) == ["Shop", "Shop/One", "Shop/Two"]


def test_the_valid_assembly_plans(tmp_path: Path, capsys: Any) -> None:
    code, out, _ = _plan(valid(tmp_path / "cdk.out"), capsys)
    assert code == 0
    assert "Shop/Orders (alias live): canary: 10% for 5 minutes, then 100%" in out
    assert "Shop/Orders after Shop/Orders (format 1 via Shop/Jobs)" in out


def test_a_file_over_the_limit_is_refused_without_reading_it(tmp_path: Path, capsys: Any) -> None:
    directory = write(tmp_path / "cdk.out", {"manifest.json": manifest()})
    with (directory / TEMPLATE).open("wb") as handle:  # sparse: instant, no disk used
        handle.truncate(MAX_FILE_BYTES + 1)
    code, _, err = _plan(directory, capsys)
    assert code == 2
    _assert_one_line(err)
    assert f"has {MAX_FILE_BYTES + 1} bytes, more than the {MAX_FILE_BYTES} read" in err


# --- files that would block or never end: in a subprocess, with a timeout ------------------


def _plan_in_subprocess(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "constructs_pkg.tools.cli", "plan", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("where", ["template", "nested template"])
def test_a_fifo_as_template_does_not_hang(tmp_path: Path, where: str) -> None:
    if where == "template":
        directory = write(tmp_path / "cdk.out", {"manifest.json": manifest()})
        os.mkfifo(directory / TEMPLATE)
    else:
        directory = write(tmp_path / "cdk.out", _stack(template(nested="fifo.json")))
        os.mkfifo(directory / "fifo.json")
    result = _plan_in_subprocess(directory)
    assert result.returncode == 2
    _assert_one_line(result.stderr)
    assert "is not a regular file" in result.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_as_template_does_not_hang(tmp_path: Path) -> None:
    directory = write(tmp_path / "cdk.out", {"manifest.json": manifest("/dev/zero")})
    result = _plan_in_subprocess(directory)
    assert result.returncode == 2
    _assert_one_line(result.stderr)
    assert "template /dev/zero is not a regular file" in result.stderr


def test_load_assembly_raises_the_library_error(tmp_path: Path) -> None:
    directory = write(tmp_path / "cdk.out", _manifest([]))
    with pytest.raises(AssemblyError, match=r"manifest\.json is a list"):
        load_assembly(directory)


# --- the decommission check is linear ------------------------------------------------------


def _baseline(queues: int, padding: int = 0) -> dict[str, Any]:
    """``queues`` queues, each used by one policy and one function: the release drops them."""
    resources: dict[str, Any] = {}
    for i in range(queues):
        resources[f"Queue{i}"] = {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"}
        resources[f"Policy{i}"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": [f"Queue{i}", "Arn"]},
                            "Padding": "x" * padding,
                        }
                    ]
                }
            },
        }
        resources[f"Fn{i}"] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Environment": {"Variables": {"QUEUE": {"Ref": f"Queue{i}"}}}},
        }
    return {"Resources": resources}


def _count_scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    scans = [0]
    original: Callable[[Any], Any] = direct_refs

    def counting(value: Any) -> Any:
        scans[0] += 1
        return original(value)

    monkeypatch.setattr("constructs_pkg.tools.plan.direct_refs", counting)
    return scans


@pytest.mark.parametrize("queues", [10, 400])
def test_each_user_is_scanned_once_whatever_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, queues: int
) -> None:
    old = write(tmp_path / "old", _stack(_baseline(queues)))
    new = write(tmp_path / "new", _stack({"Resources": {}}))
    scans = _count_scans(monkeypatch)
    code, out, _ = _plan(new, capsys, "--baseline", str(old), "--json")
    assert code == 1
    assert len(json.loads(out)["hazards"]) == queues
    assert scans[0] == 2 * queues  # one scan per policy and function, not per removed queue


@pytest.mark.long
def test_a_57_mb_baseline_plans_in_seconds(tmp_path: Path, capsys: Any) -> None:
    baseline = _baseline(20_000, padding=2_600)
    old = write(tmp_path / "old", _stack(baseline))
    size = (old / TEMPLATE).stat().st_size
    assert size > 57_000_000
    new = write(tmp_path / "new", _stack({"Resources": {}}))
    started = time.perf_counter()
    code, out, _ = _plan(new, capsys, "--baseline", str(old))
    seconds = time.perf_counter() - started
    assert code == 1
    assert "HAZARDS (20000)" in out
    print(f"\n57 MB baseline: {size / 1e6:.1f} MB planned in {seconds:.1f} s")
    assert seconds < 30
