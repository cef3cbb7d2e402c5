"""SafeFunction is an aws_lambda.IFunction: it drops into every CDK integration users reach for.

Each case hands the SafeFunction itself (not ``.function``) to a CDK API, synthesizes, and
checks that whatever *invokes* it names the alias, never the unqualified function
(``$LATEST``), and that whatever *grants to* it reaches the function's own role.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Duration, Stack, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as log_destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from constructs_pkg import ConfigurationError, SafeFunction
from constructs_pkg.checks import DeploymentSafetyChecks
from tests.cdk_helpers import function_kwargs, logical_id, new_app, new_stack

Integration = Callable[[Stack, Any], None]  # a SafeFunction, or its .function (a bypass)


def _rest_api(stack: Stack, fn: SafeFunction) -> None:
    api = apigateway.RestApi(stack, "Api")
    api.root.add_method("GET", apigateway.LambdaIntegration(fn))


def _http_api(stack: Stack, fn: SafeFunction) -> None:
    api = apigatewayv2.HttpApi(stack, "Api")
    api.add_routes(path="/", integration=integrations.HttpLambdaIntegration("Orders", fn))


def _function_url(stack: Stack, fn: SafeFunction) -> None:
    fn.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)


def _event_rule(stack: Stack, fn: SafeFunction) -> None:
    rule = events.Rule(stack, "Rule", schedule=events.Schedule.rate(Duration.minutes(5)))
    rule.add_target(targets.LambdaFunction(fn))


def _sns(stack: Stack, fn: SafeFunction) -> None:
    sns.Topic(stack, "Topic").add_subscription(subscriptions.LambdaSubscription(fn))


def _s3_notification(stack: Stack, fn: SafeFunction) -> None:
    bucket = s3.Bucket(stack, "Bucket")
    bucket.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(fn))


def _step_functions(stack: Stack, fn: SafeFunction) -> None:
    invoke = tasks.LambdaInvoke(stack, "Invoke", lambda_function=fn)
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(invoke))


def _sqs_source(stack: Stack, fn: SafeFunction) -> None:
    queue = sqs.Queue(stack, "Queue", visibility_timeout=Duration.minutes(1))
    fn.add_event_source(sources.SqsEventSource(queue))


def _kinesis_source(stack: Stack, fn: SafeFunction) -> None:
    stream = kinesis.Stream(stack, "Stream")
    fn.add_event_source(
        sources.KinesisEventSource(stream, starting_position=lambda_.StartingPosition.LATEST)
    )


def _dynamodb_source(stack: Stack, fn: SafeFunction) -> None:
    table = dynamodb.TableV2(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        dynamo_stream=dynamodb.StreamViewType.NEW_IMAGE,
    )
    fn.add_event_source(
        sources.DynamoEventSource(table, starting_position=lambda_.StartingPosition.LATEST)
    )


def _cognito_trigger(stack: Stack, fn: SafeFunction) -> None:
    pool = cognito.UserPool(stack, "Pool")
    pool.add_trigger(cognito.UserPoolOperation.PRE_SIGN_UP, fn)


def _logs_subscription(stack: Stack, fn: SafeFunction) -> None:
    group = logs.LogGroup(stack, "Logs")
    logs.SubscriptionFilter(
        stack,
        "Filter",
        log_group=group,
        destination=log_destinations.LambdaDestination(fn),
        filter_pattern=logs.FilterPattern.all_events(),
    )


def _invoke_grant(stack: Stack, fn: SafeFunction) -> None:
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    fn.grant_invoke(role)


#: Integrations that invoke the function: each must name the alias.
INVOKERS: dict[str, Integration] = {
    "API Gateway REST": _rest_api,
    "API Gateway HTTP": _http_api,
    "Function URL": _function_url,
    "EventBridge rule": _event_rule,
    "SNS subscription": _sns,
    "S3 notification": _s3_notification,
    "Step Functions LambdaInvoke": _step_functions,
    "SQS event source": _sqs_source,
    "Kinesis event source": _kinesis_source,
    "DynamoDB event source": _dynamodb_source,
    "Cognito trigger": _cognito_trigger,
    "CloudWatch Logs subscription": _logs_subscription,
    "grant_invoke": _invoke_grant,
}


def _grant(kind: str) -> Integration:
    def grant(stack: Stack, fn: SafeFunction) -> None:
        if kind == "Queue":
            sqs.Queue(stack, "Queue").grant_send_messages(fn)
        elif kind == "Table":
            dynamodb.TableV2(
                stack,
                "Table",
                partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            ).grant_read_data(fn)
        elif kind == "Bucket":
            s3.Bucket(stack, "Bucket").grant_read(fn)
        elif kind == "Secret":
            secretsmanager.Secret(stack, "Secret").grant_read(fn)
        elif kind == "Stream":
            kinesis.Stream(stack, "Stream").grant_read(fn)
        else:
            sns.Topic(stack, "Topic").grant_publish(fn)

    return grant


#: Grants *to* the function: each must reach the function's own role.
GRANTS = {kind: _grant(kind) for kind in ("Queue", "Table", "Bucket", "Secret", "Stream", "Topic")}


class Built:
    """Every case in its own stack, one App, synthesized once."""

    def __init__(self) -> None:
        app = new_app()
        self.cases: dict[str, tuple[Stack, SafeFunction]] = {}
        for index, (name, integrate) in enumerate({**INVOKERS, **GRANTS}.items()):
            stack = new_stack(app, f"Case{index}")
            fn = SafeFunction(stack, "Orders", **function_kwargs(timeout=Duration.seconds(10)))
            integrate(stack, fn)
            self.cases[name] = (stack, fn)
        self.templates = {
            name: Template.from_stack(stack).to_json() for name, (stack, _) in self.cases.items()
        }


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def _references(value: Any, logical: str) -> bool:
    text = json.dumps(value)
    return f'{{"Ref": "{logical}"}}' in text or f'["{logical}", "Arn"]' in text


#: What every SafeFunction creates for itself (the function, its versions, alias, rollout).
_OWN_TYPES = (
    "AWS::Lambda::Function",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::IAM::Role",
    "AWS::Logs::LogGroup",
    "Custom::VersionRetention",
)


def _invokers(template: dict[str, Any], fn: SafeFunction) -> tuple[list[str], list[str]]:
    """(resources that invoke the alias, resources that invoke $LATEST) in ``template``."""
    function_id, alias_id = logical_id(fn.function), logical_id(fn.alias)
    alias: list[str] = []
    latest: list[str] = []
    for key, value in template["Resources"].items():
        if value["Type"] in _OWN_TYPES:
            continue
        if value["Type"] == "AWS::IAM::Policy":  # only what grants invoking counts
            statements = value["Properties"]["PolicyDocument"]["Statement"]
            value = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
        if (
            isinstance(value, dict)
            and value["Type"] == "AWS::Lambda::Url"
            and _references(value, function_id)
        ):
            qualified = value["Properties"].get("Qualifier") == fn.alias.alias_name
            (alias if qualified else latest).append(key)
        elif _references(value, function_id):
            latest.append(key)
        elif _references(value, alias_id):
            alias.append(key)
    return alias, latest


@pytest.mark.parametrize("case", list(INVOKERS))
def test_every_invoker_names_the_alias_never_latest(built, case):
    _, fn = built.cases[case]
    alias, latest = _invokers(built.templates[case], fn)
    assert alias, f"{case}: nothing invokes the alias"
    assert latest == [], f"{case}: {latest} invoke $LATEST"


def _bypassed(acknowledged: bool) -> tuple[Stack, SafeFunction]:
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    api = apigateway.RestApi(stack, "Api")
    api.root.add_method("GET", apigateway.LambdaIntegration(fn.function))  # the bypass
    if acknowledged:
        Validations.of(api).acknowledge(
            Acknowledgment(id="DeploymentSafety::UnqualifiedInvoke", reason="a test of the check")
        )
    return stack, fn


def test_the_check_sees_an_integration_on_latest():
    stack, fn = _bypassed(acknowledged=True)
    _, latest = _invokers(dict(Template.from_stack(stack).to_json()), fn)
    assert latest, "a LambdaIntegration of fn.function must be seen as invoking $LATEST"


def test_a_bypass_fails_synth_with_nothing_registered():
    stack, _ = _bypassed(acknowledged=False)
    app = stack.node.root
    assert isinstance(app, App)
    with pytest.raises(
        RuntimeError,
        match=r"(?s)ValidationFailed: .*API Gateway integration invokes SafeFunction "
        r"TestStack/Orders unqualified \(\$LATEST\)",
    ):
        app.synth()
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    (plugin,) = report["pluginReports"]
    rules = {violation["ruleName"] for violation in plugin["violations"]}
    assert rules == {"UnqualifiedInvoke"}


def test_an_acknowledged_bypass_synthesizes():
    stack, _ = _bypassed(acknowledged=True)
    app = stack.node.root
    assert isinstance(app, App)
    assembly = app.synth()
    assert [s.stack_name for s in assembly.stacks] == [stack.stack_name]


def test_validate_scope_reports_a_bypass_instead_of_failing():
    stack, _ = _bypassed(acknowledged=False)
    report = DeploymentSafetyChecks().validate_scope(stack)
    assert "UnqualifiedInvoke" in report.rule_ids


@pytest.mark.parametrize("case", list(GRANTS))
def test_grants_to_a_safe_function_reach_its_role(built, case):
    _, fn = built.cases[case]
    role_id = logical_id(fn.function.role)
    policies = [
        value
        for value in built.templates[case]["Resources"].values()
        if value["Type"] == "AWS::IAM::Policy"
        and {"Ref": role_id} in value["Properties"].get("Roles", [])
    ]
    assert policies, f"{case}: no policy on the function's role"
    # jsii hands out a new proxy per call: compare the constructs by path
    assert fn.grant_principal.node.path == fn.function.grant_principal.node.path
    assert fn.role is not None
    assert fn.role.node.path == role_path(fn)


def role_path(fn: SafeFunction) -> str:
    role = fn.function.role
    assert role is not None
    return role.node.path


def test_identity_members_are_the_functions():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    fn.add_environment("MODE", "strict")
    fn.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    tpl = Template.from_stack(stack)
    tpl.has_resource_properties(
        "AWS::Lambda::Function", {"Environment": {"Variables": {"MODE": "strict"}}}
    )
    assert "s3:GetObject" in json.dumps(tpl.find_resources("AWS::IAM::Policy"))
    assert fn.architecture.name == fn.function.architecture.name
    assert fn.is_bound_to_vpc is False
    assert fn.permissions_node.path == fn.function.node.path
    assert fn.stack is stack
    assert fn.function_arn == fn.alias.function_arn
    assert fn.function_name == fn.alias.function_name


def test_granting_latest_is_refused():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(ConfigurationError, match=r"grant_invoke_latest_version=.* grant_invoke"):
        fn.grant_invoke_latest_version(role)


def test_environment_added_later_is_checked():
    fn = SafeFunction(new_stack(), "Orders", **function_kwargs())
    with pytest.raises(ConfigurationError, match=r"add_environment key='AWS_REGION'"):
        fn.add_environment("AWS_REGION", "eu-west-1")


# --- every bypass is caught, with nothing registered ---------------------------------------------


def _environment_of_another(stack: Stack, fn: Any) -> None:
    lambda_.Function(
        stack,
        "Caller",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        environment={"ORDERS_ARN": fn.function_arn},
    )


#: The same integrations handed ``fn.function`` ($LATEST) instead of the SafeFunction.
BYPASSES: dict[str, Integration] = {
    **INVOKERS,
    "another function's environment": _environment_of_another,
}


@pytest.fixture(scope="module")
def bypass_report() -> Any:
    app = new_app()
    stacks = {}
    for index, (name, integrate) in enumerate(BYPASSES.items()):
        stack = new_stack(app, f"Bypass{index}")
        fn = SafeFunction(stack, "Orders", **function_kwargs(timeout=Duration.seconds(10)))
        integrate(stack, fn.function)
        stacks[name] = stack
    report = DeploymentSafetyChecks().validate_scope(app)
    return stacks, report


@pytest.mark.parametrize("case", list(BYPASSES))
def test_every_bypass_is_an_unqualified_invoke_finding(bypass_report, case):
    stacks, report = bypass_report
    stack_path = stacks[case].node.path
    found = [
        f for f in report.findings if f.rule_id == "UnqualifiedInvoke" and f.stack == stack_path
    ]
    assert found, f"{case}: the bypass went unnoticed"
    assert all(f"SafeFunction {stack_path}/Orders" in f.message for f in found)


def test_a_consumer_on_a_published_version_is_not_a_bypass():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs(timeout=Duration.seconds(10)))
    queue = sqs.Queue(stack, "Queue", visibility_timeout=Duration.minutes(1))
    lambda_.EventSourceMapping(
        stack, "OnVersion", target=fn.version, event_source_arn=queue.queue_arn
    )
    report = DeploymentSafetyChecks().validate_scope(stack)
    assert "UnqualifiedInvoke" not in report.rule_ids


def test_with_the_rule_pack_registered_a_bypass_is_reported_once():
    stack, _ = _bypassed(acknowledged=False)
    app = stack.node.root
    assert isinstance(app, App)
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    unqualified = [
        construct["cloudFormationResource"]["logicalId"]
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        if violation["ruleName"] == "UnqualifiedInvoke"
        for construct in violation["violatingConstructs"]
    ]
    assert len(unqualified) == len(set(unqualified)) == 3  # 2 permissions, 1 method: once each


def test_the_rule_pack_still_reports_bypasses_of_plain_aliases():
    stack = new_stack()
    function = lambda_.Function(
        stack,
        "Plain",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
    )
    lambda_.Alias(stack, "Live", alias_name="live", version=function.current_version)
    sns.Topic(stack, "Topic").add_subscription(subscriptions.LambdaSubscription(function))
    app = stack.node.root
    assert isinstance(app, App)
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    with pytest.raises(RuntimeError, match=r"(?s)SNS subscription invokes Plain\w+ unqualified"):
        app.synth()
