"""FunctionFleet: one code artifact, many SafeFunctions, released together as one unit."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import jsii
from aws_cdk import (
    CfnOutput,
    CfnParameter,
    CfnResource,
    Duration,
    Names,
    NestedStack,
    Size,
    Stack,
    Token,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IValidation

from constructs_pkg import defaults, limits
from constructs_pkg._lazy import add_metadata, lazy_string
from constructs_pkg._text import upper_snake
from constructs_pkg._validation import check_number, is_unresolved
from constructs_pkg.assembly.records import FleetMemberRecord
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.alarms import RollbackAlarms
from constructs_pkg.release.rollout import Rollout
from constructs_pkg.release.runtime_layer import RuntimeLayer
from constructs_pkg.release.safe_function import SafeFunction
from constructs_pkg.release.smoke_test import SmokeTest
from constructs_pkg.runtime.env import HANDLER_ENV, RELEASE_ID_ENV, SECRETS_ENV

__all__ = ["FunctionFleet", "Secrets"]

#: What ``secrets=`` accepts: secrets (environment names derived from their construct ids)
#: or a mapping from environment variable name to secret.
Secrets = Sequence[secretsmanager.ISecret] | Mapping[str, secretsmanager.ISecret]

_MEMBER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
_RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PY_HANDLER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
#: Environment variables the fleet sets itself; users may not.
_RESERVED_ENV = (RELEASE_ID_ENV, HANDLER_ENV, SECRETS_ENV)
#: ``ALARM("")`` and `` OR `` around every child of a composite alarm rule.
_RULE_OVERHEAD = len('ALARM("")') + len(" OR ")


class _SharedCode(lambda_.Code):
    """The fleet's artifact, bound once; every member (in any nested stack) reuses the binding.

    ``Code.from_asset`` binds to one stack and refuses a second; re-using the bound S3
    location (or image URI) gives every member the very same artifact without a second
    asset.
    """

    def __init__(self, config: lambda_.CodeConfig) -> None:
        super().__init__()
        self._config = config

    def bind(self, scope: Construct) -> lambda_.CodeConfig:
        return self._config


@dataclass
class _Chunk:
    """One composite alarm over up to 100 of a nested stack's member alarms."""

    alarm: cloudwatch.CompositeAlarm
    name: str
    children: list[cloudwatch.IAlarm] = field(default_factory=list)
    rule_length: int = 0


@dataclass
class _MemberStack:
    """A nested stack holding the members of one wave whose names hash to one bucket."""

    stack: NestedStack
    wave: int
    bucket: int
    chunks: list[_Chunk] = field(default_factory=list)


@jsii.implements(IValidation)
class _FleetLimits:
    """Synth-time check that every stack of the fleet fits CloudFormation and CloudWatch."""

    def __init__(self, fleet: FunctionFleet) -> None:
        self._fleet = fleet

    def validate(self) -> list[str]:
        return self._fleet._limit_errors()


class FunctionFleet(Construct):
    """Many SafeFunctions built from one code artifact and released as one unit.

    Every member is a :class:`SafeFunction` with its own IAM role, memory, timeout,
    concurrency and (optionally) rollout, running the fleet's one artifact with its own
    handler. All members:

    * carry the same release id, in their version description (``release <id>``) and in
      the ``RELEASE_ID`` environment variable;
    * share the top-level stack's CodeDeploy application and service role;
    * roll back together: one composite alarm (``release_alarm``) fires when any member's
      rollback alarm fires, and it is a rollback alarm of every member's deployment group,
      so a member going bad stops every member still shifting traffic;
    * shift in waves: the members of wave ``k + 1`` start only after every alias of wave
      ``k`` finished shifting.

    Members live in nested stacks, one per wave and name bucket (a CRC32 hash of the member
    name modulo ``stacks_per_wave``), so adding or removing a member never moves another
    one, and a fleet of hundreds of members stays within CloudFormation's limits.
    Constructs created in a member's scope (``FifoOrderedConsumer(api, "Jobs",
    consumer=api)``) go into the member's nested stack.

    Parameters
    ----------
    scope, construct_id
        Where the construct lives.
    code
        The one artifact: a zip (``Code.from_asset``, ``from_bucket``, ``from_inline``) or a
        container image (``Code.from_asset_image``, ``from_ecr_image``). An image must run
        ``constructs_pkg.runtime.dispatch.handler``, which calls the member's handler named
        in the ``HANDLER`` environment variable.
    runtime
        The runtime of a zip artifact (required there); omit it for a container image.
    release_id
        The release every member is stamped with: 1-64 letters, digits, ``.``, ``_``,
        ``+`` or ``-``. Default: the context ``constructs_pkg:release-id``, else the first 12
        characters of the code asset's hash (the inline code's SHA-256 for inline code).
    rollout
        Default rollout of every member. Default: ``Rollout.canary()``.
    alarms
        Default rollback alarm thresholds of every member. Default: ``RollbackAlarms()``.
    alias_name
        Alias of every member. Default: ``live``.
    secrets
        Secrets every member may read: a list (environment variable name from each secret's
        construct id, ``DbPassword`` -> ``DB_PASSWORD``) or a mapping ``{"NAME": secret}``.
        Their ARNs travel in ``CONSTRUCTS_PKG_SECRETS``;
        ``constructs_pkg.runtime.secrets.load_secrets()`` puts the values into the
        environment once per cold start. Default: none.
    environment
        Environment variables of every member (a member's own win). Default: none.
    memory_size, timeout, architecture, tracing, logging_format, layers
        Defaults of every member, as on ``aws_lambda.Function``. Default: Lambda's.
    runtime_layer
        Add the ``constructs_pkg.runtime`` layer (one per top-level stack) to zip members.
        Default: True.
    stacks_per_wave
        Nested stacks the members of one wave are spread over. Changing it moves members
        between nested stacks (which replaces them): choose it once. Default: 50.

    Examples
    --------
    ::

        fleet = FunctionFleet(stack, "Backend", code=lambda_.Code.from_asset("service"),
            runtime=lambda_.Runtime.PYTHON_3_12,
            rollout=Rollout.canary(percent=10, interval=Duration.minutes(5)))
        api = fleet.add_function("Api", handler="api.handle", memory_size=512)
        pdf = fleet.add_function("PdfExport", handler="export.pdf", memory_size=3008,
            timeout=Duration.minutes(5), rollout=Rollout.all_at_once(), wave=2)
        fleet.functions["Api"] is api
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        runtime: lambda_.Runtime | None = None,
        release_id: str | None = None,
        rollout: Rollout | None = None,
        alarms: RollbackAlarms | None = None,
        alias_name: str = defaults.ALIAS_NAME,
        secrets: Secrets = (),
        environment: Mapping[str, str] | None = None,
        memory_size: int | None = None,
        timeout: Duration | None = None,
        architecture: lambda_.Architecture | None = None,
        tracing: lambda_.Tracing | None = None,
        logging_format: lambda_.LoggingFormat | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        runtime_layer: bool = True,
        stacks_per_wave: int = defaults.FLEET_STACKS_PER_WAVE,
    ) -> None:
        super().__init__(scope, construct_id)
        path = self.node.path
        check_number(
            "stacks_per_wave", stacks_per_wave, minimum=1, maximum=100, whole=True, path=path
        )
        #: True when the artifact is a container image (members run the dispatcher).
        self.is_image = isinstance(code, lambda_.AssetImageCode | lambda_.EcrImageCode)
        if self.is_image and runtime is not None and runtime is not lambda_.Runtime.FROM_IMAGE:
            raise ConfigurationError(
                "runtime",
                runtime.name,
                "nothing (or Runtime.FROM_IMAGE) for a container image",
                path=path,
                reason="The image brings its runtime.",
            )
        if not self.is_image and runtime is None:
            raise ConfigurationError(
                "runtime",
                None,
                "the runtime of the zip artifact, e.g. Runtime.PYTHON_3_12",
                path=path,
            )
        self._runtime = runtime if runtime is not None else lambda_.Runtime.FROM_IMAGE
        self._code_config = code.bind(self)
        self._code = _SharedCode(self._code_config)
        #: The release id stamped on every member.
        self.release_id = self._resolve_release_id(release_id, path)
        self._rollout = rollout
        self._alarm_config = alarms
        self._alias_name = alias_name
        self._secrets = _secret_env_names(secrets, argument="secrets", path=path)
        self._environment = _check_environment(
            environment, argument="environment", path=path, reserved=_RESERVED_ENV
        )
        self._memory_size = memory_size
        self._timeout = timeout
        self._architecture = architecture
        self._tracing = tracing
        self._logging_format = logging_format
        self._layers = list(layers)
        if runtime_layer and not self.is_image:
            self._layers.insert(0, RuntimeLayer.of(self))
        self._stacks_per_wave = int(stacks_per_wave)
        self._stacks: dict[tuple[int, int], _MemberStack] = {}
        self._functions: dict[str, SafeFunction] = {}
        self._waves: dict[str, int] = {}

        base = Names.unique_resource_name(self, max_length=100, separator="-")
        self._alarm_prefix = base
        #: The composite alarm that fires when any member's rollback alarm fires. It is a
        #: rollback alarm of every member, referenced by its fixed name.
        self.release_alarm_name = f"{base}-release"
        self.release_alarm = cloudwatch.CompositeAlarm(
            self,
            "ReleaseAlarm",
            composite_alarm_name=self.release_alarm_name,
            alarm_rule=cloudwatch.AlarmRule.from_string(lazy_string(self._release_rule)),
            alarm_description=(
                f"{path}: any member's rollback alarm fired (release {self.release_id}). "
                "Rolls back every member still shifting traffic."
            ),
        )
        self.node.add_validation(_FleetLimits(self))

    # --- public API ------------------------------------------------------------------------

    @property
    def functions(self) -> dict[str, SafeFunction]:
        """The members by name, in the order they were added."""
        return dict(self._functions)

    def wave_of(self, name: str) -> int:
        """Return the wave of the member ``name``."""
        return self._waves[name]

    def add_function(
        self,
        name: str,
        *,
        handler: str,
        memory_size: int | None = None,
        timeout: Duration | None = None,
        reserved_concurrent_executions: int | None = None,
        provisioned_concurrent_executions: int | None = None,
        rollout: Rollout | None = None,
        alarms: RollbackAlarms | None = None,
        smoke_test: SmokeTest | None = None,
        post_traffic_test: SmokeTest | None = None,
        wave: int = 1,
        secrets: Secrets = (),
        environment: Mapping[str, str] | None = None,
        description: str | None = None,
        ephemeral_storage_size: Size | None = None,
        initial_policy: Sequence[iam.PolicyStatement] | None = None,
    ) -> SafeFunction:
        """Add a member running ``handler`` from the fleet's artifact; return its SafeFunction.

        Parameters
        ----------
        name
            Member name: a letter, then letters or digits (at most 64). It is the member's
            construct id and the key in :attr:`functions`.
        handler
            The member's entry point (``module.function``). For a container image it is
            passed in ``HANDLER`` to the dispatcher.
        memory_size, timeout, reserved_concurrent_executions, provisioned_concurrent_executions
            As on ``SafeFunction``. Default: the fleet's, else Lambda's.
        rollout, alarms
            This member's own rollout and alarm thresholds. Default: the fleet's.
        smoke_test, post_traffic_test
            Hooks, as on ``SafeFunction``. Default: none.
        wave
            Release wave, a whole number from 1: wave ``k + 1`` starts shifting after every
            alias of wave ``k`` is done. Default: 1.
        secrets
            Secrets of this member only, in addition to the fleet's. Default: none.
        environment
            Environment of this member, over the fleet's. Default: none.
        description, ephemeral_storage_size, initial_policy
            As on ``aws_lambda.Function``. Default: none.
        """
        fleet_path = self.node.path
        if not isinstance(name, str) or not _MEMBER_NAME.match(name):
            raise ConfigurationError(
                "name",
                name,
                "a letter, then letters or digits, at most 64 characters",
                path=fleet_path,
            )
        if name in self._functions:
            raise ConfigurationError(
                "name",
                name,
                f"a name not used yet in this fleet (used: {sorted(self._functions)})",
                path=fleet_path,
            )
        check_number("wave", wave, minimum=1, maximum=100, whole=True, path=f"{fleet_path}/{name}")
        self._check_handler(handler, f"{fleet_path}/{name}")
        member_secrets = {
            **self._secrets,
            **_secret_env_names(secrets, argument="secrets", path=f"{fleet_path}/{name}"),
        }
        env = {
            **self._environment,
            **_check_environment(
                environment,
                argument="environment",
                path=f"{fleet_path}/{name}",
                reserved=_RESERVED_ENV,
            ),
            RELEASE_ID_ENV: self.release_id,
        }
        if self.is_image:
            env[HANDLER_ENV] = handler

        group = self._stack_for(int(wave), name)
        member = SafeFunction(
            group.stack,
            name,
            code=self._code,
            handler=lambda_.Handler.FROM_IMAGE if self.is_image else handler,
            runtime=self._runtime,
            alias_name=self._alias_name,
            rollout=rollout if rollout is not None else self._rollout,
            alarms=alarms if alarms is not None else self._alarm_config,
            smoke_test=smoke_test,
            post_traffic_test=post_traffic_test,
            provisioned_concurrent_executions=provisioned_concurrent_executions,
            reserved_concurrent_executions=reserved_concurrent_executions,
            environment=env,
            description=description,
            ephemeral_storage_size=ephemeral_storage_size,
            initial_policy=initial_policy,
            layers=self._layers or None,
            current_version_options=lambda_.VersionOptions(
                description=f"release {self.release_id}"
            ),
            memory_size=memory_size if memory_size is not None else self._memory_size,
            timeout=timeout if timeout is not None else self._timeout,
            architecture=self._architecture,
            tracing=self._tracing,
            logging_format=self._logging_format,
        )
        if member_secrets:
            for secret in member_secrets.values():
                secret.grant_read(member.function)
            member.function.add_environment(
                SECRETS_ENV,
                Stack.of(member).to_json_string(
                    {env_name: secret.secret_arn for env_name, secret in member_secrets.items()}
                ),
            )
        add_metadata(
            member.alias,
            FleetMemberRecord(
                path=member.node.path,
                fleet=self.node.path,
                wave=int(wave),
                release_id=self.release_id,
            ),
        )
        # Release-wide rollback: this member also rolls back when any member's alarm fires.
        member.add_rollback_alarm(
            cloudwatch.Alarm.from_alarm_name(member, "ReleaseAlarm", self.release_alarm_name)
        )
        for alarm in member.rollback_alarms[:-1]:
            self._watch(group, alarm)
        member._alarm_listeners.append(lambda alarm: self._watch(group, alarm))
        self._functions[name] = member
        self._waves[name] = int(wave)
        return member

    # --- placement -------------------------------------------------------------------------

    def _stack_for(self, wave: int, name: str) -> _MemberStack:
        """Return the nested stack of ``name`` in ``wave`` (a stable hash: others never move it)."""
        bucket = zlib.crc32(name.encode()) % self._stacks_per_wave
        group = self._stacks.get((wave, bucket))
        if group is not None:
            return group
        nested = NestedStack(
            self,
            f"Wave{wave}Stack{bucket:02d}",
            description=f"{self.node.path}: members of wave {wave} (bucket {bucket}), "
            f"release {self.release_id}",
        )
        for (other_wave, _), other in self._stacks.items():
            if other_wave < wave:
                nested.add_stack_dependency(
                    other.stack, reason=f"wave {wave} follows wave {other_wave}"
                )
            elif other_wave > wave:
                other.stack.add_stack_dependency(
                    nested, reason=f"wave {other_wave} follows wave {wave}"
                )
        # Created after every member stack, so the release alarm's children exist first.
        self.release_alarm.node.add_dependency(nested)
        group = _MemberStack(nested, wave, bucket)
        self._stacks[(wave, bucket)] = group
        return group

    # --- release-wide alarm ----------------------------------------------------------------

    def _watch(self, group: _MemberStack, alarm: cloudwatch.IAlarm) -> None:
        """Put a member's rollback alarm into a composite of its nested stack."""
        length = _RULE_OVERHEAD + _name_length(alarm.alarm_name)
        chunk = group.chunks[-1] if group.chunks else None
        if (
            chunk is None
            or len(chunk.children) >= limits.COMPOSITE_MAX_CHILDREN
            or chunk.rule_length + length > limits.COMPOSITE_MAX_RULE_LENGTH
        ):
            chunk = self._new_chunk(group)
            group.chunks.append(chunk)
        chunk.children.append(alarm)
        chunk.rule_length += length

    def _new_chunk(self, group: _MemberStack) -> _Chunk:
        """Open the next composite of ``group``; its rule lists its children at synth time."""
        index = len(group.chunks) + 1
        name = f"{self._alarm_prefix}-w{group.wave}s{group.bucket:02d}-{index}"
        children: list[cloudwatch.IAlarm] = []
        alarm = cloudwatch.CompositeAlarm(
            group.stack,
            f"ReleaseAlarms{index}",
            composite_alarm_name=name,
            alarm_rule=cloudwatch.AlarmRule.from_string(
                lazy_string(lambda: _any_alarm([a.alarm_name for a in children]))
            ),
            alarm_description=(
                f"{self.node.path}: any rollback alarm of the members in this nested "
                f"stack (part {index}). Part of {self.release_alarm_name}."
            ),
        )
        return _Chunk(alarm, name, children)

    def _chunk_names(self) -> list[str]:
        # Fixed names, not references: no nested-stack outputs, and a known rule length.
        return [chunk.name for group in self._stacks.values() for chunk in group.chunks]

    def _release_rule(self) -> str:
        return _any_alarm(self._chunk_names())

    # --- checks ----------------------------------------------------------------------------

    def _limit_errors(self) -> list[str]:
        errors: list[str] = []
        chunks = [chunk for group in self._stacks.values() for chunk in group.chunks]
        if len(chunks) > limits.COMPOSITE_MAX_CHILDREN:
            errors.append(
                f"{self.node.path}: the release alarm would combine {len(chunks)} composite "
                f"alarms; CloudWatch allows {limits.COMPOSITE_MAX_CHILDREN}. Split the fleet."
            )
        rule_length = sum(_RULE_OVERHEAD + len(name) for name in self._chunk_names())
        if rule_length > limits.COMPOSITE_MAX_RULE_LENGTH:
            errors.append(
                f"{self.node.path}: the release alarm rule would be {rule_length} characters; "
                f"CloudWatch allows {limits.COMPOSITE_MAX_RULE_LENGTH}. Use a shorter "
                "construct path or split the fleet."
            )
        for group in self._stacks.values():
            errors.extend(_stack_limit_errors(group.stack, self._stacks_per_wave))
        return errors

    # --- helpers ---------------------------------------------------------------------------

    def _check_handler(self, handler: str, path: str) -> None:
        ok = isinstance(handler, str) and 0 < len(handler) <= 128
        if ok and self.is_image:
            ok = bool(_PY_HANDLER.match(handler))
        if not ok:
            allowed = (
                "module.function (the dispatcher imports it), at most 128 characters"
                if self.is_image
                else "a handler of 1 to 128 characters, e.g. module.function"
            )
            raise ConfigurationError("handler", handler, allowed, path=path)

    def _resolve_release_id(self, release_id: str | None, path: str) -> str:
        argument = "release_id"
        if release_id is None:
            from_context = self.node.try_get_context(defaults.RELEASE_ID_CONTEXT_KEY)
            if from_context is not None:
                argument = f"context {defaults.RELEASE_ID_CONTEXT_KEY}"
                release_id = str(from_context)
        if release_id is None:
            derived = _derive_release_id(self._code_config, Stack.of(self))
            if derived is None:
                raise ConfigurationError(
                    "release_id",
                    None,
                    "a release id (release_id= or -c constructs_pkg:release-id=...)",
                    path=path,
                    reason="The code is not an asset or inline code, so no id can be derived "
                    "from it.",
                )
            return derived
        if is_unresolved(release_id) or not _RELEASE_ID.match(release_id):
            raise ConfigurationError(
                argument,
                release_id,
                "1-64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit "
                "(known at synth time)",
                path=path,
            )
        return release_id


# --- module helpers ----------------------------------------------------------------------------


def _any_alarm(names: Sequence[str]) -> str:
    """``ALARM("a") OR ALARM("b") ...``; ``FALSE`` when there is nothing to watch."""
    if not names:
        return "FALSE"
    return " OR ".join(f'ALARM("{name}")' for name in names)


def _name_length(name: str) -> int:
    """Length of an alarm name in a rule; a generated (token) name may use the maximum."""
    if Token.is_unresolved(name):
        return limits.ALARM_NAME_MAX_LENGTH
    return len(name)


def _derive_release_id(config: lambda_.CodeConfig, stack: Stack) -> str | None:
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


def _secret_env_names(
    secrets: Secrets, *, argument: str, path: str
) -> dict[str, secretsmanager.ISecret]:
    """Environment variable name -> secret, checked."""
    if isinstance(secrets, Mapping):
        named = dict(secrets)
    else:
        named = {}
        for secret in secrets:
            env_name = upper_snake(secret.node.id)
            if env_name in named:
                raise ConfigurationError(
                    argument,
                    [s.node.path for s in secrets],
                    "secrets whose construct ids give distinct variable names "
                    f"(two give {env_name}); pass a mapping {{'NAME': secret}} instead",
                    path=path,
                )
            named[env_name] = secret
    for env_name in named:
        if not _ENV_NAME.match(env_name) or env_name.startswith("AWS_"):
            raise ConfigurationError(
                f"{argument} name",
                env_name,
                "an environment variable name (letters, digits, '_'; not starting with a digit "
                "or AWS_)",
                path=path,
            )
    return named


def _check_environment(
    environment: Mapping[str, str] | None,
    *,
    argument: str,
    path: str,
    reserved: Sequence[str],
) -> dict[str, str]:
    env = dict(environment or {})
    for key in env:
        if key in reserved:
            raise ConfigurationError(
                argument,
                {key: env[key]},
                f"no variable named {', '.join(reserved)}",
                path=path,
                reason="The fleet sets these itself.",
            )
    return env


def _stack_limit_errors(stack: Stack, stacks_per_wave: int) -> list[str]:
    """CloudFormation limits of one member stack (it holds no deeper nested stack)."""
    resources = parameters = outputs = 0
    for construct in stack.node.find_all():
        if isinstance(construct, CfnResource):
            resources += 1
        elif isinstance(construct, CfnParameter):
            parameters += 1
        elif isinstance(construct, CfnOutput):
            outputs += 1
    errors = []
    for what, count, limit in (
        ("resources", resources, limits.CFN_MAX_RESOURCES),
        ("parameters", parameters, limits.CFN_MAX_PARAMETERS),
        ("outputs", outputs, limits.CFN_MAX_OUTPUTS),
    ):
        if count > limit:
            errors.append(
                f"{stack.node.path}: {count} {what}; CloudFormation allows {limit} per stack. "
                f"Raise stacks_per_wave (now {stacks_per_wave}) to spread the members over more "
                "nested stacks."
            )
    return errors
