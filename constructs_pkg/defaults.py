"""Every literal default the library chooses for its users, in one place.

The docs quote these names; changing one here changes the behaviour everywhere. What AWS
allows is in :mod:`constructs_pkg.limits`; names that cross into Lambda are owned by
:mod:`constructs_pkg.runtime.env`. Standard library only.
"""

from __future__ import annotations

from typing import Final

from constructs_pkg import limits

# --- Release (SafeFunction, Rollout, RollbackAlarms, SmokeTest) -----------------------------

#: Alias every SafeFunction is reached through.
ALIAS_NAME: Final = "live"
#: Default rollout: canary this percentage of traffic ...
CANARY_PERCENT: Final = 10
#: ... for this many minutes, then shift the rest. Long enough for the slowest detection of a
#: version failing every call (6.7 minutes with the default alarms, docs/rehearsal.md).
CANARY_INTERVAL_MINUTES: Final = 10
#: Default step and interval of ``Rollout.linear()``.
LINEAR_PERCENT: Final = 10
LINEAR_INTERVAL_MINUTES: Final = 1
#: After the last shift, the deployment stays open this many minutes while the managed
#: AfterAllowTraffic hook watches the alarms (the bake): at low traffic most bad versions
#: are caught here, at 100 % (docs/rehearsal.md).
BAKE_MINUTES: Final = 8

#: Roll back when more than this percentage of the new version's invocations fail ...
ERROR_RATE_PERCENT: Final = 2.0
#: ... and at least this many failed in one period (a healthy version's rare errors at low
#: traffic do not roll back; docs/rehearsal.md measures both sides).
MIN_ERRORS: Final = 4
#: Alarm period and evaluation periods of the error-rate and throttle rollback alarms.
ALARM_PERIOD_SECONDS: Final = 120
ALARM_EVALUATION_PERIODS: Final = 1
#: Without an explicit p99 threshold, the latency alarm fires above this share of the timeout ...
P99_TIMEOUT_SHARE: Final = 0.5
#: ... counting only minutes in which the new version served at least this many calls ...
LATENCY_MIN_INVOCATIONS: Final = 300
#: ... when this many of the last LATENCY_EVALUATION_PERIODS one-minute periods breach.
LATENCY_DATAPOINTS_TO_ALARM: Final = 2
LATENCY_EVALUATION_PERIODS: Final = 3

#: Memory of the smoke-test hook function.
SMOKE_HOOK_MEMORY_MB: Final = 256
#: Smoke payload and expectation travel in environment variables (4 KB in total per function),
#: so each is capped well below that.
SMOKE_MAX_JSON_BYTES: Final = 1536

#: CodeDeploy events a SafeFunction's ``notifications=`` topic receives.
DEPLOYMENT_NOTIFICATION_EVENTS: Final = (
    "DeploymentStart",
    "DeploymentSuccess",
    "DeploymentFailure",
    "DeploymentStop",
    "DeploymentRollback",
)

#: Versions a SafeFunction keeps after each release (besides every version in use); the
#: rest are deleted so the account's 75 GB of code storage is never a surprise.
KEEP_VERSIONS: Final = 10
#: Timeout of the version pruner (it lists and deletes through the Lambda API).
VERSION_PRUNER_TIMEOUT_MINUTES: Final = 5
#: Context key that recycles every SafeFunction (``-c constructs_pkg:recycle=<token>``).
RECYCLE_CONTEXT_KEY: Final = "constructs_pkg:recycle"

#: Context key that switches every SafeFunction to an emergency (all-at-once, no alarms) deploy.
HOTFIX_CONTEXT_KEY: Final = "constructs_pkg:hotfix"

# --- Sticky canary (StickyRouter) -------------------------------------------------------------

#: How long the router caches the alias's canary weight: a user moves at most this long
#: after CodeDeploy shifts, and the router calls GetAlias at most once per period per
#: execution environment.
STICKY_CACHE_SECONDS: Final = 5
#: Memory of the router function (it forwards payloads; it computes nothing heavy).
STICKY_ROUTER_MEMORY_MB: Final = 256
#: Seconds the router waits beyond the target's timeout (its own start-up and the GetAlias).
STICKY_ROUTER_TIMEOUT_MARGIN_SECONDS: Final = 5

# --- Ordered consumers (KinesisOrderedConsumer, FifoOrderedConsumer) -------------------------

#: Kinesis: shards of a created stream, and the stream's retention.
KINESIS_SHARD_COUNT: Final = 1
KINESIS_RETENTION_HOURS: Final = limits.KINESIS_MIN_RETENTION_HOURS
#: Kinesis event source: records per batch, batches per shard in parallel.
KINESIS_BATCH_SIZE: Final = 100
KINESIS_PARALLELIZATION_FACTOR: Final = 1
#: Kinesis retry budget: a failing batch is retried this often (bisected each time) ...
KINESIS_RETRY_ATTEMPTS: Final = 3
#: ... and records older than this go to the failure destination.
KINESIS_MAX_RECORD_AGE_SECONDS: Final = 3600
#: The IteratorAge alarm fires at this share of the record-age budget (or of the retention).
ITERATOR_AGE_ALARM_SHARE: Final = 0.5
#: ... after this many consecutive one-minute periods.
ITERATOR_AGE_EVALUATION_PERIODS: Final = 3

#: FIFO event source: messages per batch (the SQS FIFO maximum).
FIFO_BATCH_SIZE: Final = limits.FIFO_MAX_BATCH_SIZE
#: Receives before a message moves to the dead-letter queue; AWS recommends at least 5 so
#: throttled receives do not dead-letter healthy messages.
FIFO_MAX_RECEIVE_COUNT: Final = 5
FIFO_MIN_SAFE_RECEIVE_COUNT: Final = 5
#: The created queue's visibility timeout is this multiple of the function timeout.
FIFO_VISIBILITY_TIMEOUT_FACTOR: Final = 6
#: Retention of created source queues and of every dead-letter queue (the SQS maximum).
DEAD_LETTER_RETENTION_DAYS: Final = limits.SQS_MAX_RETENTION_DAYS
SOURCE_QUEUE_RETENTION_DAYS: Final = 4
#: The stuck-group alarm fires when the oldest message is older than this many visibility
#: timeouts (a group's head message has failed that many receives).
STUCK_GROUP_VISIBILITY_TIMEOUTS: Final = 3

# --- FunctionFleet --------------------------------------------------------------------------

#: Context key holding the release id of every FunctionFleet (``-c constructs_pkg:release-id=...``).
RELEASE_ID_CONTEXT_KEY: Final = "constructs_pkg:release-id"
#: Members of one wave are spread over this many nested stacks (by a hash of their name).
FLEET_STACKS_PER_WAVE: Final = 50
#: Length of a release id derived from the code asset's hash.
RELEASE_ID_HASH_LENGTH: Final = 12
