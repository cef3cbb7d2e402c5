"""FunctionFleet: one code artifact, many SafeFunctions, released together as one unit."""

from __future__ import annotations

import re
from typing import Any, Unpack

import jsii
from aws_cdk import Names, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IValidation

from constructs_pkg import defaults
from constructs_pkg._lazy import add_metadata
from constructs_pkg._validation import check_number, check_type
from constructs_pkg.assembly.records import FleetMemberRecord
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.alarms import RollbackAlarms
from constructs_pkg.release.fleet.environment import (
    Secrets,
    check_environment,
    secret_env_names,
)
from constructs_pkg.release.fleet.placement import Placement
from constructs_pkg.release.fleet.release_alarm import ReleaseAlarm
from constructs_pkg.release.fleet.release_id import resolve_release_id
from constructs_pkg.release.function_options import (
    SafeFunctionOptions,
    check_option_names,
    check_options,
)
from constructs_pkg.release.rollout import Rollout
from constructs_pkg.release.runtime_layer import RuntimeLayer
from constructs_pkg.release.safe_function import SafeFunction
from constructs_pkg.release.smoke_test import SmokeTest
from constructs_pkg.runtime.env import HANDLER_ENV, RELEASE_ID_ENV, SECRETS_ENV

__all__ = ["FunctionFleet"]

_MEMBER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
_PY_HANDLER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
#: Options a fleet cannot give every member, and why.
_NOT_FLEET_WIDE = {
    "function_name": "every member would get the same physical name",
    "events": "every member would consume the same event source",
    "current_version_options": "the fleet stamps every version with its release id",
}
#: The type of every argument of FunctionFleet that is not a Lambda option.
_ARGUMENT_TYPES: dict[str, Any] = {
    "code": lambda_.Code,
    "runtime": lambda_.Runtime | None,
    "release_id": str | None,
    "rollout": Rollout | None,
    "alarms": RollbackAlarms | None,
    "alias_name": str,
    "secrets": Secrets,
    "runtime_layer": bool,
}
#: Options a member cannot set itself, and why.
_NOT_PER_MEMBER = {
    "current_version_options": "the fleet stamps every version with its release id",
}


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


@jsii.implements(IValidation)
class _FleetLimits:
    """Synth-time check that every stack of the fleet fits CloudFormation and CloudWatch."""

    def __init__(self, release_alarm: ReleaseAlarm, placement: Placement) -> None:
        self._release_alarm = release_alarm
        self._placement = placement

    def validate(self) -> list[str]:
        return [*self._release_alarm.limit_errors(), *self._placement.limit_errors()]


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
    runtime_layer
        Add the ``constructs_pkg.runtime`` layer (one per top-level stack) to zip members.
        Default: True.
    stacks_per_wave
        Nested stacks the members of one wave are spread over. Changing it moves members
        between nested stacks (which replaces them): choose it once. Default: 50.
    **options
        Defaults of every member: any SafeFunction option (every ``aws_lambda.Function``
        option and the invocation options), except ``function_name``, ``events`` and
        ``current_version_options`` (the fleet stamps every version with the release id). A
        member's own options win; ``environment`` is merged (a member's variables win),
        ``layers`` and ``initial_policy`` are added to. Default: Lambda's.

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
        runtime_layer: bool = True,
        stacks_per_wave: int = defaults.FLEET_STACKS_PER_WAVE,
        **options: Unpack[SafeFunctionOptions],
    ) -> None:
        super().__init__(scope, construct_id)
        # Every argument that is not a Lambda option, by name (the names of _ARGUMENT_TYPES).
        given = locals()
        self._validate({name: given[name] for name in _ARGUMENT_TYPES}, stacks_per_wave, options)
        #: True when the artifact is a container image (members run the dispatcher).
        self.is_image = isinstance(code, lambda_.AssetImageCode | lambda_.EcrImageCode)
        self._runtime = self._check_runtime(runtime)
        code_config = code.bind(self)
        self._code = _SharedCode(code_config)
        #: The release id stamped on every member.
        self.release_id = resolve_release_id(self, release_id, code_config)
        self._rollout = rollout
        self._alarm_config = alarms
        self._alias_name = alias_name
        self._secrets = secret_env_names(secrets, argument="secrets", path=self.node.path)
        self._options = self._member_defaults(options, runtime_layer=runtime_layer)
        self._functions: dict[str, SafeFunction] = {}
        self._waves: dict[str, int] = {}
        self._release_alarm = self._build_release_alarm()
        #: The composite alarm that fires when any member's rollback alarm fires. It is a
        #: rollback alarm of every member, referenced by its fixed name.
        self.release_alarm = self._release_alarm.alarm
        #: The fixed name of :attr:`release_alarm`.
        self.release_alarm_name = self._release_alarm.name
        self._placement = self._build_placement(int(stacks_per_wave))
        self.node.add_validation(_FleetLimits(self._release_alarm, self._placement))

    # --- steps -----------------------------------------------------------------------------

    def _validate(
        self, arguments: dict[str, Any], stacks_per_wave: Any, options: SafeFunctionOptions
    ) -> None:
        """Check the fleet's own arguments, then the members' default Lambda options."""
        path = self.node.path
        for name, value in arguments.items():
            check_type(name, value, _ARGUMENT_TYPES[name], path=path)
        check_number(
            "stacks_per_wave",
            stacks_per_wave,
            minimum=1,
            maximum=100,
            whole=True,
            tokens="reject",
            path=path,
        )
        check_option_names(options, path)
        _reject(options, _NOT_FLEET_WIDE, path)
        check_options(options, scope=self)

    def _member_defaults(
        self, options: SafeFunctionOptions, *, runtime_layer: bool
    ) -> dict[str, Any]:
        """Return the options every member starts from.

        Those given, with the environment checked and (for zip members) the runtime layer
        first among the layers.
        """
        member: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
        member["environment"] = check_environment(
            options.get("environment"), argument="environment", path=self.node.path
        )
        layers = list(options.get("layers") or ())
        if runtime_layer and not self.is_image:
            layers.insert(0, RuntimeLayer.of(self))
        member["layers"] = layers
        return member

    def _build_release_alarm(self) -> ReleaseAlarm:
        """Create the release-wide composite alarm (its members join as they are added)."""
        prefix = Names.unique_resource_name(self, max_length=100, separator="-")
        return ReleaseAlarm(
            self,
            name_prefix=prefix,
            description=f"{self.node.path}: any member's rollback alarm fired (release "
            f"{self.release_id}). Rolls back every member still shifting traffic.",
        )

    def _build_placement(self, stacks_per_wave: int) -> Placement:
        """Create the placement of members in nested stacks, per wave."""
        path = self.node.path
        return Placement(
            self,
            stacks_per_wave=stacks_per_wave,
            describe=lambda wave, bucket: (
                f"{path}: members of wave {wave} (bucket {bucket}), release {self.release_id}"
            ),
            # Created after every member stack, so the release alarm's children exist first.
            on_new_stack=self.release_alarm.node.add_dependency,
        )

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
        rollout: Rollout | None = None,
        alarms: RollbackAlarms | None = None,
        smoke_test: SmokeTest | None = None,
        post_traffic_test: SmokeTest | None = None,
        wave: int = 1,
        secrets: Secrets = (),
        **options: Unpack[SafeFunctionOptions],
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
        rollout, alarms
            This member's own rollout and alarm thresholds. Default: the fleet's.
        smoke_test, post_traffic_test
            Hooks, as on ``SafeFunction``. Default: none.
        wave
            Release wave, a whole number from 1: wave ``k + 1`` starts shifting after every
            alias of wave ``k`` is done. Default: 1.
        secrets
            Secrets of this member only, in addition to the fleet's. Default: none.
        **options
            Any SafeFunction option (``memory_size``, ``timeout``,
            ``reserved_concurrent_executions``, ``environment``, ...) except
            ``current_version_options``. Default: the fleet's, else Lambda's.
        """
        member_path = self._check_member(name, handler, wave)
        for argument, value, hint in (
            ("rollout", rollout, Rollout | None),
            ("alarms", alarms, RollbackAlarms | None),
            ("smoke_test", smoke_test, SmokeTest | None),
            ("post_traffic_test", post_traffic_test, SmokeTest | None),
            ("secrets", secrets, Secrets),
        ):
            check_type(argument, value, hint, path=member_path)
        _reject(options, _NOT_PER_MEMBER, member_path)
        member_secrets = {
            **self._secrets,
            **secret_env_names(secrets, argument="secrets", path=member_path),
        }
        group = self._placement.stack_for(int(wave), name)
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
            **self._member_options(options, handler, member_path),
        )
        self._grant_secrets(member, member_secrets)
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
        self._release_alarm.join(member, group)
        self._functions[name] = member
        self._waves[name] = int(wave)
        return member

    # --- steps -----------------------------------------------------------------------------

    def _check_runtime(self, runtime: lambda_.Runtime | None) -> lambda_.Runtime:
        path = self.node.path
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
        return runtime if runtime is not None else lambda_.Runtime.FROM_IMAGE

    def _check_member(self, name: str, handler: str, wave: int) -> str:
        """Check a new member's name, wave and handler; return its construct path."""
        fleet_path = self.node.path
        if not isinstance(name, str) or not _MEMBER_NAME.fullmatch(name):
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
        member_path = f"{fleet_path}/{name}"
        check_number(
            "wave", wave, minimum=1, maximum=100, whole=True, tokens="reject", path=member_path
        )
        ok = isinstance(handler, str) and 0 < len(handler) <= 128
        if ok and self.is_image:
            ok = bool(_PY_HANDLER.fullmatch(handler))
        if not ok:
            allowed = (
                "module.function (the dispatcher imports it), at most 128 characters"
                if self.is_image
                else "a handler of 1 to 128 characters, e.g. module.function"
            )
            raise ConfigurationError("handler", handler, allowed, path=member_path)
        return member_path

    def _member_options(
        self, options: SafeFunctionOptions, handler: str, member_path: str
    ) -> dict[str, Any]:
        """Merge the fleet's options under the member's own (environment merged, lists added)."""
        merged: dict[str, Any] = {
            **self._options,
            **{k: v for k, v in options.items() if v is not None},
        }
        environment = {
            **self._options["environment"],
            **check_environment(
                options.get("environment"), argument="environment", path=member_path
            ),
            RELEASE_ID_ENV: self.release_id,
        }
        if self.is_image:
            environment[HANDLER_ENV] = handler
        merged["environment"] = environment
        merged["layers"] = [*self._options["layers"], *(options.get("layers") or ())] or None
        merged["initial_policy"] = [
            *(self._options.get("initial_policy") or ()),
            *(options.get("initial_policy") or ()),
        ] or None
        merged["current_version_options"] = lambda_.VersionOptions(
            description=f"release {self.release_id}"
        )
        return merged

    def _grant_secrets(self, member: SafeFunction, secrets: dict[str, Any]) -> None:
        if not secrets:
            return
        for secret in secrets.values():
            secret.grant_read(member.function)
        member.function.add_environment(
            SECRETS_ENV,
            Stack.of(member).to_json_string(
                {env_name: secret.secret_arn for env_name, secret in secrets.items()}
            ),
        )


def _reject(options: SafeFunctionOptions, rejected: dict[str, str], path: str) -> None:
    for name, why in rejected.items():
        value = options.get(name)
        if value is not None:
            raise ConfigurationError(
                name, value, "no value here", path=path, reason=f"Not allowed here: {why}."
            )
