"""Every literal default and service limit the library uses, in one place.

The docs quote these names; changing one here changes the behaviour everywhere.
"""

from __future__ import annotations

from typing import Final

# --- Release (SafeFunction, Rollout, RollbackAlarms, SmokeTest) -----------------------------

#: Alias every SafeFunction is reached through.
ALIAS_NAME: Final = "live"
#: Default rollout: canary this percentage of traffic ...
CANARY_PERCENT: Final = 10
#: ... for this many minutes, then shift the rest.
CANARY_INTERVAL_MINUTES: Final = 5
#: Default step and interval of ``Rollout.linear()``.
LINEAR_PERCENT: Final = 10
LINEAR_INTERVAL_MINUTES: Final = 1
#: CodeDeploy's custom-config bounds: 1-99 percent, whole minutes, at most 2880 minutes (2 days).
ROLLOUT_MIN_PERCENT: Final = 1
ROLLOUT_MAX_PERCENT: Final = 99
ROLLOUT_MAX_INTERVAL_MINUTES: Final = 2880

#: Roll back when more than this percentage of the new version's invocations fail ...
ERROR_RATE_PERCENT: Final = 1.0
#: ... and at least this many failed in one period (so 1 error out of 3 calls does not roll back).
MIN_ERRORS: Final = 3
#: Alarm period and evaluation periods of generated rollback alarms.
ALARM_PERIOD_SECONDS: Final = 60
ALARM_EVALUATION_PERIODS: Final = 1
#: CodeDeploy accepts at most this many alarms per deployment group.
CODEDEPLOY_MAX_ALARMS: Final = 10
#: A CloudWatch composite alarm rule may reference at most this many alarms.
COMPOSITE_MAX_CHILDREN: Final = 100

#: Lambda's maximum function timeout, in seconds.
LAMBDA_MAX_TIMEOUT_SECONDS: Final = 900
#: Lambda's default function timeout, in seconds (when ``timeout`` is not given).
LAMBDA_DEFAULT_TIMEOUT_SECONDS: Final = 3

#: Smoke-test hooks get the target's timeout plus this margin (capped at the Lambda maximum).
SMOKE_HOOK_TIMEOUT_MARGIN_SECONDS: Final = 60
#: Memory of the smoke-test hook function.
SMOKE_HOOK_MEMORY_MB: Final = 256
#: Smoke payload and expectation travel in environment variables (4 KB in total per function),
#: so each is capped well below that.
SMOKE_MAX_JSON_BYTES: Final = 1536
#: How long the hook keeps retrying an AccessDenied on the first invoke (IAM propagation).
SMOKE_ACCESS_DENIED_RETRY_SECONDS: Final = 30

#: Context key that switches every SafeFunction to an emergency (all-at-once, no alarms) deploy.
HOTFIX_CONTEXT_KEY: Final = "constructs_pkg:hotfix"
#: Id of the per-stack construct holding the shared CodeDeploy application and role.
SHARED_RELEASE_ID: Final = "ConstructsPkgRelease"
