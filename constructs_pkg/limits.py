"""Limits of the AWS services the library configures, as documented by AWS.

These are not choices: they are what CloudFormation, Lambda, CodeDeploy, CloudWatch, SQS
and Kinesis accept. The library's own choices live in :mod:`constructs_pkg.defaults`.
Standard library only (tools and runtime code may import it).
"""

from __future__ import annotations

from typing import Final

# --- Lambda ---------------------------------------------------------------------------------

#: Lambda's maximum function timeout, in seconds.
LAMBDA_MAX_TIMEOUT_SECONDS: Final = 900
#: Lambda's default function timeout, in seconds (when ``timeout`` is not given).
LAMBDA_DEFAULT_TIMEOUT_SECONDS: Final = 3
#: Function memory, in MB.
LAMBDA_MIN_MEMORY_MB: Final = 128
LAMBDA_MAX_MEMORY_MB: Final = 10_240
#: Ephemeral storage (/tmp), in MiB.
LAMBDA_MIN_EPHEMERAL_MIB: Final = 512
LAMBDA_MAX_EPHEMERAL_MIB: Final = 10_240
#: Characters of a function description, a function name, a handler.
LAMBDA_MAX_DESCRIPTION: Final = 256
LAMBDA_MAX_FUNCTION_NAME: Final = 64
LAMBDA_MAX_HANDLER: Final = 128
#: All environment variables of a function together, in bytes (keys and values).
LAMBDA_MAX_ENVIRONMENT_BYTES: Final = 4096
#: Asynchronous invocation: retries 0-2, event age 60 s to 6 hours.
LAMBDA_MAX_ASYNC_RETRIES: Final = 2
LAMBDA_MIN_EVENT_AGE_SECONDS: Final = 60
LAMBDA_MAX_EVENT_AGE_SECONDS: Final = 21_600
#: Versions a function can have is not limited by count but by code storage (75 GB by
#: default); a retention above this many versions is surely a mistake.
LAMBDA_MAX_KEPT_VERSIONS: Final = 1000
#: Largest value a CloudFormation Integer property holds (concurrency settings).
CFN_MAX_INTEGER: Final = 2_147_483_647

# --- CodeDeploy -----------------------------------------------------------------------------

#: Custom deployment configs: 1-99 percent, whole minutes, at most 2880 minutes (2 days).
ROLLOUT_MIN_PERCENT: Final = 1
ROLLOUT_MAX_PERCENT: Final = 99
ROLLOUT_MAX_INTERVAL_MINUTES: Final = 2880
#: The longest bake: the AfterAllowTraffic hook bakes inside one Lambda invocation (at most
#: 900 s), which also holds the post-traffic smoke test and the report to CodeDeploy.
BAKE_MAX_MINUTES: Final = 12
#: A p99 threshold at the timeout could never fire (invocations end there).
P99_MAX_TIMEOUT_SHARE: Final = 0.99
#: A minimum-invocations guard above this would never let a percentile alarm fire (no
#: Lambda alias serves more than this many calls per minute in practice; a bound for typos).
LATENCY_MAX_MIN_INVOCATIONS: Final = 10_000_000
#: CodeDeploy accepts at most this many alarms per deployment group.
CODEDEPLOY_MAX_ALARMS: Final = 10
#: Characters of a deployment group name.
CODEDEPLOY_MAX_GROUP_NAME: Final = 100

# --- CloudWatch -----------------------------------------------------------------------------

#: A composite alarm rule may reference at most this many alarms ...
COMPOSITE_MAX_CHILDREN: Final = 100
#: ... in at most this many characters.
COMPOSITE_MAX_RULE_LENGTH: Final = 10_240
#: An alarm name's maximum length.
ALARM_NAME_MAX_LENGTH: Final = 255
#: An alarm's evaluation range (period x evaluation periods) is at most one day.
ALARM_MAX_EVALUATION_SECONDS: Final = 86_400

# --- CloudFormation -------------------------------------------------------------------------

#: Limits every stack (nested ones included) must stay within.
CFN_MAX_RESOURCES: Final = 500
CFN_MAX_PARAMETERS: Final = 200
CFN_MAX_OUTPUTS: Final = 200

# --- Kinesis event sources and streams ------------------------------------------------------

KINESIS_MAX_BATCH_SIZE: Final = 10_000
KINESIS_MAX_PARALLELIZATION_FACTOR: Final = 10
KINESIS_MAX_RETRY_ATTEMPTS: Final = 10_000
KINESIS_MIN_RECORD_AGE_SECONDS: Final = 60
KINESIS_MAX_RECORD_AGE_LIMIT_SECONDS: Final = 604_800
KINESIS_MAX_BATCHING_WINDOW_SECONDS: Final = 300
KINESIS_MAX_TUMBLING_WINDOW_SECONDS: Final = 900
KINESIS_MIN_RETENTION_HOURS: Final = 24
KINESIS_MAX_RETENTION_HOURS: Final = 8760

# --- SQS event sources and queues -----------------------------------------------------------

#: Messages per batch of an SQS FIFO event source.
FIFO_MAX_BATCH_SIZE: Final = 10
#: Event source mapping ``MaximumConcurrency`` bounds.
SQS_MIN_MAX_CONCURRENCY: Final = 2
SQS_MAX_MAX_CONCURRENCY: Final = 1000
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS: Final = 43_200
SQS_MAX_RECEIVE_COUNT_LIMIT: Final = 1000
#: Longest retention of an SQS queue, in days.
SQS_MAX_RETENTION_DAYS: Final = 14

# --- S3 -------------------------------------------------------------------------------------

#: Longest id of a bucket's request-metrics configuration (the ``FilterId`` dimension).
S3_MAX_METRICS_ID_LENGTH: Final = 64
