"""Cloud assemblies as tools see them: templates, nested stacks, and the library's records.

Everything here reads files and JSON only and never imports aws_cdk.
"""

from constructs_pkg.assembly.cloud_assembly import (
    Assembly,
    FoundRecord,
    check_template,
    find_records,
    load_assembly,
)
from constructs_pkg.assembly.files import AssemblyError, read_json
from constructs_pkg.assembly.model import (
    RETAINING_POLICIES,
    STATEFUL_TYPES,
    FunctionRef,
    Resource,
    TemplateSet,
    alternatives,
    direct_refs,
    items,
    mapping,
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
    "AssemblyError",
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
    "alternatives",
    "check_template",
    "direct_refs",
    "find_records",
    "items",
    "load_assembly",
    "mapping",
    "nested_templates",
    "read_json",
]
