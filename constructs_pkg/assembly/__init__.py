"""Cloud assemblies as tools see them: templates, nested stacks, and the library's records.

Everything here reads files and JSON only and never imports aws_cdk.
"""

from constructs_pkg.assembly.cloud_assembly import (
    Assembly,
    FoundRecord,
    find_records,
    load_assembly,
)
from constructs_pkg.assembly.model import (
    RETAINING_POLICIES,
    STATEFUL_TYPES,
    FunctionRef,
    Resource,
    TemplateSet,
    direct_refs,
)
from constructs_pkg.assembly.nested import nested_templates
from constructs_pkg.assembly.records import (
    CONSUMER_METADATA_KEY,
    FLEET_METADATA_KEY,
    RELEASE_METADATA_KEY,
    ConsumerCapacity,
    ConsumerRecord,
    FleetMemberRecord,
    ProducerRecord,
    RecordError,
    ReleaseRecord,
    RolloutRecord,
)

__all__ = [
    "CONSUMER_METADATA_KEY",
    "FLEET_METADATA_KEY",
    "RELEASE_METADATA_KEY",
    "RETAINING_POLICIES",
    "STATEFUL_TYPES",
    "Assembly",
    "ConsumerCapacity",
    "ConsumerRecord",
    "FleetMemberRecord",
    "FoundRecord",
    "FunctionRef",
    "ProducerRecord",
    "RecordError",
    "ReleaseRecord",
    "Resource",
    "RolloutRecord",
    "TemplateSet",
    "direct_refs",
    "find_records",
    "load_assembly",
    "nested_templates",
]
