"""FunctionFleet: one artifact, many SafeFunctions in nested stacks, released together."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import CfnResource, Duration, NestedStack, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Match, Template

from constructs_pkg import (
    ConfigurationError,
    FifoOrderedConsumer,
    FunctionFleet,
    RollbackAlarms,
    Rollout,
    SafeFunction,
)
from constructs_pkg.assembly.records import FleetMemberRecord, ReleaseRecord
from constructs_pkg.testing import cfn_lint_findings
from tests.cdk_helpers import ROOT, TEST_ENV, inline_code, logical_id, new_app, resources_of

SERVICE = ROOT / "sample_app" / "service"
IMAGE_DIR = Path(__file__).resolve().parent / "fleet_image"


def zip_code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(SERVICE), exclude=["__pycache__", "*.pyc"])


def new_fleet(stack: Stack | None = None, **overrides: Any) -> FunctionFleet:
    kwargs: dict[str, Any] = {"code": inline_code(), "runtime": lambda_.Runtime.PYTHON_3_12}
    kwargs.update(overrides)
    return FunctionFleet(stack or Stack(new_app(), "S", env=TEST_ENV), "Backend", **kwargs)


def nested_of(member: SafeFunction) -> NestedStack:
    stack = Stack.of(member)
    assert isinstance(stack, NestedStack)
    return stack


# --- one fleet, synthesized once ---------------------------------------------------------------


class Built:
    def __init__(self) -> None:
        self.app = new_app()
        self.stack = Stack(self.app, "Svc", env=TEST_ENV)
        self.db = secretsmanager.Secret(self.stack, "DbPassword")
        self.stripe = secretsmanager.Secret(self.stack, "StripeKey")
        self.fleet = FunctionFleet(
            self.stack,
            "Backend",
            code=zip_code(),
            runtime=lambda_.Runtime.PYTHON_3_12,
            rollout=Rollout.canary(percent=10, interval=Duration.minutes(5)),
            secrets=[self.db],
            environment={"STAGE": "prod"},
        )
        self.api = self.fleet.add_function(
            "Api", handler="orders.handler", memory_size=512, timeout=Duration.seconds(10)
        )
        self.pdf = self.fleet.add_function(
            "PdfExport",
            handler="catalog.handler",
            memory_size=3008,
            timeout=Duration.minutes(5),
            rollout=Rollout.all_at_once(),
            wave=2,
            secrets={"STRIPE": self.stripe},
            environment={"STAGE": "pdf"},
        )
        self.worker = self.fleet.add_function("Worker", handler="fulfillment.handler")
        # A consumer created in a member's scope goes with the member.
        self.jobs = FifoOrderedConsumer(self.api, "Jobs", consumer=self.api, batch_size=10)
        self.parent = Template.from_stack(self.stack)
        self.nested = {
            name: Template.from_stack(nested_of(member))
            for name, member in self.fleet.functions.items()
        }


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def function_of(tpl: Template, member: SafeFunction) -> dict[str, Any]:
    properties: dict[str, Any] = tpl.to_json()["Resources"][logical_id(member.function)][
        "Properties"
    ]
    return properties


def test_members_are_safe_functions_in_nested_stacks(built: Built) -> None:
    assert list(built.fleet.functions) == ["Api", "PdfExport", "Worker"]
    assert all(isinstance(m, SafeFunction) for m in built.fleet.functions.values())
    assert built.fleet.functions["Api"] is built.api
    for member in built.fleet.functions.values():
        assert Stack.of(member) is not built.stack
        assert nested_of(member).nested_stack_parent is built.stack
    assert built.fleet.wave_of("PdfExport") == 2
    assert built.fleet.wave_of("Api") == 1


def test_each_member_has_its_own_role_memory_and_timeout(built: Built) -> None:
    api = function_of(built.nested["Api"], built.api)
    pdf = function_of(built.nested["PdfExport"], built.pdf)
    assert (api["MemorySize"], api["Timeout"]) == (512, 10)
    assert (pdf["MemorySize"], pdf["Timeout"]) == (3008, 300)
    assert api["Role"] != pdf["Role"]
    for name, tpl in built.nested.items():
        assert len(resources_of(tpl, "AWS::IAM::Role")) >= 1, name


def test_one_artifact_and_one_release_id(built: Built) -> None:
    keys = {
        function_of(built.nested[name], member)["Code"]["S3Key"]
        for name, member in built.fleet.functions.items()
    }
    assert len(keys) == 1
    (key,) = keys
    assert built.fleet.release_id == key[:12]
    for name, member in built.fleet.functions.items():
        tpl = built.nested[name]
        env = function_of(tpl, member)["Environment"]["Variables"]
        assert env["RELEASE_ID"] == built.fleet.release_id
        tpl.has_resource_properties(
            "AWS::Lambda::Version", {"Description": f"release {built.fleet.release_id}"}
        )


def test_members_share_the_top_level_codedeploy_application_and_role(built: Built) -> None:
    built.parent.resource_count_is("AWS::CodeDeploy::Application", 1)
    for tpl in built.nested.values():
        tpl.resource_count_is("AWS::CodeDeploy::Application", 0)
        tpl.has_resource_properties(
            "AWS::CodeDeploy::DeploymentGroup",
            {
                "ApplicationName": {
                    "Ref": Match.string_like_regexp("ConstructsPkgReleaseApplication")
                }
            },
        )
    roles = resources_of(built.parent, "AWS::IAM::Role")
    assert len([r for r in roles if r.startswith("ConstructsPkgReleaseServiceRole")]) == 1


def test_member_rollout_override(built: Built) -> None:
    built.nested["PdfExport"].has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce"},
    )
    built.nested["Api"].has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes"},
    )


def test_release_alarm_is_a_rollback_alarm_of_every_member(built: Built) -> None:
    name = built.fleet.release_alarm_name
    built.parent.has_resource_properties("AWS::CloudWatch::CompositeAlarm", {"AlarmName": name})
    for tpl in built.nested.values():
        (group,) = resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup").values()
        alarms = group["Properties"]["AlarmConfiguration"]["Alarms"]
        assert {"Name": name} in alarms
        assert len(alarms) <= 10


def test_release_alarm_watches_every_members_alarms_including_consumers(built: Built) -> None:
    parent = built.parent.to_json()["Resources"]
    release = parent[logical_id(built.fleet.release_alarm)]
    rule = release["Properties"]["AlarmRule"]
    chunk_names = re.findall(r'ALARM\("([^"]+)"\)', rule)
    nested_ids = {lid for lid, r in parent.items() if r["Type"] == "AWS::CloudFormation::Stack"}
    # Created after every member stack: its children exist first.
    assert set(release["DependsOn"]) == nested_ids
    watched: list[str] = []
    for member_name, tpl in built.nested.items():
        member = built.fleet.functions[member_name]
        chunks = resources_of(tpl, "AWS::CloudWatch::CompositeAlarm")
        member_chunks = [c for c in chunks.values() if c["Properties"]["AlarmName"] in chunk_names]
        assert member_chunks, member_name
        text = json.dumps([c["Properties"]["AlarmRule"] for c in member_chunks])
        for alarm in member.rollback_alarms:
            if isinstance(alarm, cloudwatch.Alarm):
                assert logical_id(alarm) in text, (member_name, alarm.node.path)
                watched.append(alarm.node.path)
        # Never itself (that would be a composite cycle).
        assert built.fleet.release_alarm_name not in text
    assert any(path.endswith("/Jobs/FailedMessages") for path in watched)


def test_waves_follow_each_other(built: Built) -> None:
    parent = built.parent.to_json()["Resources"]
    wave1, wave2 = (
        built.stack.get_logical_id(resource)
        for resource in (
            nested_of(built.api).nested_stack_resource,
            nested_of(built.pdf).nested_stack_resource,
        )
        if resource is not None
    )
    assert wave1 in parent[wave2]["DependsOn"]
    assert wave2 not in parent[wave1].get("DependsOn", [])


def test_consumer_in_member_scope_goes_with_the_member(built: Built) -> None:
    assert Stack.of(built.jobs) is nested_of(built.api)
    built.nested["Api"].resource_count_is("AWS::SQS::Queue", 2)
    built.parent.resource_count_is("AWS::SQS::Queue", 0)


def test_secrets_are_granted_and_passed_per_member(built: Built) -> None:
    def secret_env(name: str) -> str:
        member = built.fleet.functions[name]
        value = function_of(built.nested[name], member)["Environment"]["Variables"]
        return json.dumps(value["CONSTRUCTS_PKG_SECRETS"])

    assert "DB_PASSWORD" in secret_env("Api")
    assert "STRIPE" not in secret_env("Api")
    assert "DB_PASSWORD" in secret_env("PdfExport")
    assert "STRIPE" in secret_env("PdfExport")
    # Each member's own role may read exactly its secrets.
    pdf_policy = json.dumps(resources_of(built.nested["PdfExport"], "AWS::IAM::Policy"))
    api_policy = json.dumps(resources_of(built.nested["Api"], "AWS::IAM::Policy"))
    assert "secretsmanager:GetSecretValue" in pdf_policy
    assert "StripeKey" in pdf_policy
    assert "DbPassword" in pdf_policy
    assert "StripeKey" not in api_policy
    assert "DbPassword" in api_policy
    env = function_of(built.nested["PdfExport"], built.pdf)["Environment"]["Variables"]
    assert env["STAGE"] == "pdf"
    assert function_of(built.nested["Api"], built.api)["Environment"]["Variables"]["STAGE"] == (
        "prod"
    )


def test_templates_lint_clean(built: Built) -> None:
    for tpl in [built.parent, *built.nested.values()]:
        errors = [f for f in cfn_lint_findings(dict(tpl.to_json())) if f.is_error]
        assert errors == []


def test_plan_metadata_names_the_fleet_wave_and_release(built: Built) -> None:
    alias = built.nested["PdfExport"].to_json()["Resources"][logical_id(built.pdf.alias)]
    member = FleetMemberRecord.from_metadata(alias["Metadata"][FleetMemberRecord.key])
    assert member == FleetMemberRecord(
        path=built.pdf.node.path, fleet="Svc/Backend", wave=2, release_id=built.fleet.release_id
    )
    assert ReleaseRecord.from_metadata(alias["Metadata"][ReleaseRecord.key]).path == member.path


# --- placement ---------------------------------------------------------------------------------


def test_placement_is_stable_when_members_come_and_go() -> None:
    first = new_fleet()
    for name in ("Alpha", "Beta", "Gamma", "Delta"):
        first.add_function(name, handler="index.handler")
    second = new_fleet()
    for name in ("Delta", "Beta"):
        second.add_function(name, handler="index.handler")
    for name in ("Delta", "Beta"):
        assert nested_of(first.functions[name]).node.id == nested_of(second.functions[name]).node.id


def test_members_of_one_bucket_share_a_nested_stack() -> None:
    fleet = new_fleet(stacks_per_wave=1)
    a = fleet.add_function("A", handler="index.handler")
    b = fleet.add_function("B", handler="index.handler")
    c = fleet.add_function("C", handler="index.handler", wave=2)
    assert nested_of(a) is nested_of(b)
    assert nested_of(c) is not nested_of(a)


# --- release id --------------------------------------------------------------------------------


def test_release_id_argument_wins_over_context() -> None:
    stack = Stack(new_app(context={"constructs_pkg:release-id": "from-ctx"}), "S", env=TEST_ENV)
    assert new_fleet(stack, release_id="v1.2.3").release_id == "v1.2.3"


def test_release_id_from_context() -> None:
    stack = Stack(new_app(context={"constructs_pkg:release-id": "git-abc123"}), "S", env=TEST_ENV)
    assert new_fleet(stack).release_id == "git-abc123"


def test_release_id_of_inline_code_is_its_hash() -> None:
    one = new_fleet(code=inline_code("return 1")).release_id
    assert one == new_fleet(code=inline_code("return 1")).release_id
    assert one != new_fleet(code=inline_code("return 2")).release_id
    assert re.fullmatch(r"[0-9a-f]{12}", one)


@pytest.mark.parametrize("good", ["a", "1", "v1.2.3+build_7-rc", "x" * 64])
def test_release_id_accepted(good: str) -> None:
    assert new_fleet(release_id=good).release_id == good


@pytest.mark.parametrize("bad", ["", "-v1", "x" * 65, "has space", "a/b"])
def test_release_id_rejected(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=r"\[S/Backend\] release_id=.* 1-64 letters"):
        new_fleet(release_id=bad)


def test_release_id_from_context_is_checked_too() -> None:
    stack = Stack(new_app(context={"constructs_pkg:release-id": "no good"}), "S", env=TEST_ENV)
    with pytest.raises(ConfigurationError, match="context constructs_pkg:release-id='no good'"):
        new_fleet(stack)


def test_release_id_needed_when_it_cannot_be_derived() -> None:
    stack = Stack(new_app(), "S", env=TEST_ENV)
    code = lambda_.Code.from_cfn_parameters()
    with pytest.raises(ConfigurationError, match=r"release_id=None .* no id can be derived"):
        new_fleet(stack, code=code)


# --- container image ---------------------------------------------------------------------------


def test_container_image_members_run_the_dispatcher_with_their_handler() -> None:
    app = new_app()
    stack = Stack(app, "S", env=TEST_ENV)
    fleet = FunctionFleet(stack, "Backend", code=lambda_.Code.from_asset_image(str(IMAGE_DIR)))
    api = fleet.add_function("Api", handler="api.handle")
    pdf = fleet.add_function("Pdf", handler="export.pdf", memory_size=3008)
    uris = set()
    for member in (api, pdf):
        props = function_of(Template.from_stack(nested_of(member)), member)
        assert props["PackageType"] == "Image"
        assert "Handler" not in props
        assert "Runtime" not in props
        uris.add(json.dumps(props["Code"]["ImageUri"]))
    assert len(uris) == 1
    env = function_of(Template.from_stack(nested_of(pdf)), pdf)["Environment"]["Variables"]
    assert env["HANDLER"] == "export.pdf"
    assert re.fullmatch(r"[0-9a-f]{12}", fleet.release_id)


def test_container_image_takes_no_runtime() -> None:
    with pytest.raises(ConfigurationError, match=r"runtime='python3.12' .* container image"):
        new_fleet(code=lambda_.Code.from_asset_image(str(IMAGE_DIR)))


def test_container_image_handler_must_be_module_function() -> None:
    fleet = FunctionFleet(
        Stack(new_app(), "S", env=TEST_ENV),
        "Backend",
        code=lambda_.Code.from_asset_image(str(IMAGE_DIR)),
    )
    with pytest.raises(ConfigurationError, match=r"handler='api' .* module.function"):
        fleet.add_function("Api", handler="api")


# --- bad input ---------------------------------------------------------------------------------


def test_zip_needs_a_runtime() -> None:
    with pytest.raises(ConfigurationError, match=r"runtime=None .* runtime of the zip artifact"):
        new_fleet(runtime=None)


@pytest.mark.parametrize("bad", ["", "1Api", "api-v2", "A" * 65])
def test_member_name_rejected(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=r"\[S/Backend\] name="):
        new_fleet().add_function(bad, handler="index.handler")


@pytest.mark.parametrize("good", ["A", "A" * 64, "Api2"])
def test_member_name_accepted(good: str) -> None:
    fleet = new_fleet()
    member = fleet.add_function(good, handler="index.handler")
    assert fleet.functions == {good: member}
    assert member.node.id == good
    tpl = Template.from_stack(nested_of(member))
    assert logical_id(member.function) in resources_of(tpl, "AWS::Lambda::Function")


# --- options: fleet defaults under a member's own ------------------------------------------------


def test_any_function_option_is_a_fleet_default_and_a_member_option() -> None:
    from aws_cdk import Size
    from aws_cdk import aws_iam as iam

    stack = Stack(new_app(), "S", env=TEST_ENV)
    fleet_policy = iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::a/*"])
    member_policy = iam.PolicyStatement(actions=["sqs:SendMessage"], resources=["*"])
    fleet = new_fleet(
        stack,
        ephemeral_storage_size=Size.mebibytes(1024),
        memory_size=256,
        initial_policy=[fleet_policy],
        environment={"STAGE": "prod", "MODE": "a"},
    )
    plain = fleet.add_function("Plain", handler="index.handler")
    own = fleet.add_function(
        "Own",
        handler="index.handler",
        memory_size=1024,
        initial_policy=[member_policy],
        environment={"MODE": "b"},
    )
    templates = {m: Template.from_stack(nested_of(m)) for m in (plain, own)}
    plain_fn = function_of(templates[plain], plain)
    own_fn = function_of(templates[own], own)
    assert plain_fn["EphemeralStorage"] == {"Size": 1024} == own_fn["EphemeralStorage"]
    assert (plain_fn["MemorySize"], own_fn["MemorySize"]) == (256, 1024)
    assert plain_fn["Environment"]["Variables"]["MODE"] == "a"
    assert own_fn["Environment"]["Variables"] | {"RELEASE_ID": "x"} == {
        "STAGE": "prod",
        "MODE": "b",
        "RELEASE_ID": "x",
    }
    own_policies = json.dumps(resources_of(templates[own], "AWS::IAM::Policy"))
    plain_policies = json.dumps(resources_of(templates[plain], "AWS::IAM::Policy"))
    assert "s3:GetObject" in own_policies
    assert "sqs:SendMessage" in own_policies
    assert "s3:GetObject" in plain_policies
    assert "sqs:SendMessage" not in plain_policies


@pytest.mark.parametrize(
    ("where", "option", "reason"),
    [
        ("fleet", "function_name", "every member would get the same physical name"),
        ("fleet", "events", "every member would consume the same event source"),
        ("member", "current_version_options", "stamps every version with its release id"),
    ],
)
def test_options_that_cannot_apply_are_refused(where: str, option: str, reason: str) -> None:
    value: Any = {
        "function_name": "orders",
        "events": [object()],
        "current_version_options": lambda_.VersionOptions(description="mine"),
    }[option]
    fleet = None if where == "fleet" else new_fleet()
    with pytest.raises(ConfigurationError, match=rf"{option}=.*Not allowed here: .*{reason}"):
        _ = (
            new_fleet(**{option: value})
            if fleet is None
            else fleet.add_function("Api", handler="index.handler", **{option: value})
        )


def test_member_name_used_twice_even_in_another_wave() -> None:
    fleet = new_fleet()
    fleet.add_function("Api", handler="index.handler")
    with pytest.raises(ConfigurationError, match=r"name='Api' .* not used yet"):
        fleet.add_function("Api", handler="index.handler", wave=2)


@pytest.mark.parametrize(("wave", "ok"), [(0, False), (1, True), (100, True), (101, False)])
def test_wave_bounds(wave: int, ok: bool) -> None:
    fleet = new_fleet()
    if ok:
        fleet.add_function("Api", handler="index.handler", wave=wave)
    else:
        with pytest.raises(ConfigurationError, match=rf"\[S/Backend/Api\] wave={wave}"):
            fleet.add_function("Api", handler="index.handler", wave=wave)


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (100, True), (101, False)])
def test_stacks_per_wave_bounds(count: int, ok: bool) -> None:
    if ok:
        new_fleet(stacks_per_wave=count)
    else:
        with pytest.raises(ConfigurationError, match=rf"stacks_per_wave={count}"):
            new_fleet(stacks_per_wave=count)


@pytest.mark.parametrize("reserved", ["RELEASE_ID", "HANDLER", "CONSTRUCTS_PKG_SECRETS"])
def test_reserved_environment_variables(reserved: str) -> None:
    with pytest.raises(ConfigurationError, match=f"environment=.*{reserved}.* sets these itself"):
        new_fleet(environment={reserved: "x"})
    with pytest.raises(ConfigurationError, match=r"\[S/Backend/Api\] environment="):
        new_fleet().add_function("Api", handler="index.handler", environment={reserved: "x"})


def test_handler_length_bounds() -> None:
    fleet = new_fleet()
    fleet.add_function("Ok", handler="h" * 128)
    with pytest.raises(ConfigurationError, match=r"handler='h+' .* 1 to 128"):
        fleet.add_function("Long", handler="h" * 129)
    with pytest.raises(ConfigurationError, match=r"handler='' .* 1 to 128"):
        fleet.add_function("Empty", handler="")


def test_secret_names_that_collide_are_rejected() -> None:
    stack = Stack(new_app(), "S", env=TEST_ENV)
    one = secretsmanager.Secret(stack, "DbPassword")
    two = secretsmanager.Secret(stack, "DB_PASSWORD")
    with pytest.raises(ConfigurationError, match="two give DB_PASSWORD"):
        new_fleet(stack, secrets=[one, two])


@pytest.mark.parametrize("bad", ["1ABC", "AWS_SECRET", "has-dash"])
def test_secret_variable_names_are_checked(bad: str) -> None:
    stack = Stack(new_app(), "S", env=TEST_ENV)
    secret = secretsmanager.Secret(stack, "Db")
    with pytest.raises(ConfigurationError, match=rf"secrets name='{bad}'"):
        new_fleet(stack, secrets={bad: secret})


# --- limits ------------------------------------------------------------------------------------


def chunk_rules(fleet: FunctionFleet, member: SafeFunction) -> list[str]:
    """Rules of the fleet's composites in the member's nested stack (not its own slot)."""
    prefix = fleet.release_alarm_name.removesuffix("release")
    resources = Template.from_stack(nested_of(member)).to_json()["Resources"]
    return [
        json.dumps(r["Properties"]["AlarmRule"])
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::CompositeAlarm"
        and r["Properties"].get("AlarmName", "").startswith(prefix)
    ]


def _fill(member: SafeFunction, total: int) -> None:
    """Pad the member's nested stack with wait handles up to ``total`` resources."""
    stack = nested_of(member)
    existing = sum(
        1 for c in stack.node.find_all() if isinstance(c, CfnResource) and Stack.of(c) is stack
    )
    for index in range(total - existing):
        CfnResource(member, f"Pad{index}", type="AWS::CloudFormation::WaitConditionHandle")


@pytest.mark.parametrize(("total", "ok"), [(500, True), (501, False)])
def test_nested_stack_resource_limit(total: int, ok: bool) -> None:
    app = new_app()
    fleet = new_fleet(Stack(app, "S", env=TEST_ENV))
    member = fleet.add_function("Api", handler="index.handler")
    _fill(member, total)
    if ok:
        app.synth()
    else:
        with pytest.raises(
            Exception, match=r"501 resources; CloudFormation allows 500.*stacks_per_wave"
        ):
            app.synth()


def test_member_alarms_are_split_over_composites_of_at_most_100() -> None:
    app = new_app()
    stack = Stack(app, "S", env=TEST_ENV)
    fleet = new_fleet(stack, stacks_per_wave=1)
    extra = [cloudwatch.Alarm.from_alarm_name(stack, f"X{i}", f"x{i}") for i in range(98)]
    # One's own error-rate and p99 alarms + 98 extras = 100 alarms: the first composite is
    # full ...
    one = fleet.add_function("One", handler="index.handler", alarms=RollbackAlarms(extra=extra))
    assert len(one.rollback_alarms) == 100 + 1  # and the release alarm it watches
    # ... so the next member's two alarms start a second one.
    fleet.add_function("Two", handler="index.handler")
    sizes = [len(re.findall("ALARM", rule)) for rule in chunk_rules(fleet, one)]
    assert sizes == [100, 2]


def test_rule_length_splits_before_10240_characters() -> None:
    stack = Stack(new_app(), "S", env=TEST_ENV)
    fleet = new_fleet(stack, stacks_per_wave=1)
    long_names = [
        cloudwatch.Alarm.from_alarm_name(stack, f"L{i}", f"{i:03d}" + "n" * 197) for i in range(60)
    ]
    member = fleet.add_function(
        "One", handler="index.handler", alarms=RollbackAlarms(extra=long_names)
    )
    rules = chunk_rules(fleet, member)
    # 60 alarms of 213 characters (200 + 13) and the two generated ones (error rate, p99)
    # counted at 255 + 13 each: 13,316 characters in all, so two parts.
    assert len(rules) == 2
    assert sum(len(re.findall("ALARM", rule)) for rule in rules) == 62
    for rule in rules:
        assert len(rule) <= 10240


def test_every_fleet_argument_that_is_not_a_lambda_option_is_type_checked():
    """FunctionFleet takes its own arguments by the names of ``_ARGUMENT_TYPES``."""
    import inspect

    from constructs_pkg.release.fleet.fleet import _ARGUMENT_TYPES

    parameters = set(inspect.signature(FunctionFleet.__init__).parameters)
    own = {"self", "scope", "construct_id", "stacks_per_wave", "options"}
    assert parameters - own == set(_ARGUMENT_TYPES)
