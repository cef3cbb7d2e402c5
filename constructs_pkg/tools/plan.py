"""Release plan of a synthesized cloud assembly, and the hazards since a baseline.

Reads ``cdk.out`` (``manifest.json`` and the stack templates) only, so it runs in CI
without the app's code: rollouts and consumers are described by the metadata records
the constructs write (:mod:`constructs_pkg.assembly.records`).

What a bad version would do is not guessed from the rollout's shape: with ``rehearse_at``
(``constructs-pkg plan --rehearse``) each release is rehearsed
(:mod:`constructs_pkg.rehearsal`, a small fixed-seed run); without it the plan says
"not rehearsed".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from constructs_pkg._text import approx_duration
from constructs_pkg.assembly import (
    STATEFUL_TYPES,
    Assembly,
    ConsumerRecord,
    FleetMemberRecord,
    ReleaseRecord,
    TemplateSet,
    direct_refs,
    find_records,
    load_assembly,
    mapping,
)
from constructs_pkg.runtime.env import RECYCLE_ENV

__all__ = [
    "PLAN_REHEARSAL_FAULTS",
    "PLAN_REHEARSAL_RUNS",
    "PLAN_REHEARSAL_SEED",
    "Assembly",
    "Hazard",
    "Plan",
    "build_plan",
    "load_assembly",
]

#: ``plan --rehearse``: simulated releases per scenario (enough to tell 70 % from 99 %, and
#: fast: the plan stays a quick CI step), the seed, and the faults rehearsed.
PLAN_REHEARSAL_RUNS = 200
PLAN_REHEARSAL_SEED = 0
PLAN_REHEARSAL_FAULTS = ("errors=100%", "errors=5%", "latency=3x", "healthy")
NOT_REHEARSED = "not rehearsed (constructs-pkg plan --rehearse, or constructs-pkg rehearse)"

#: Resource types through which a function uses another resource.
_USER_TYPES = ("AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::IAM::Policy")


@dataclass(frozen=True)
class Hazard:
    """Something in this release that can break while old and new code run side by side."""

    kind: str  # decommission | format-dropped | less-safe-rollout
    stack: str
    subject: str
    message: str


@dataclass
class Plan:
    """What a release will do, per stack, and the hazards found against a baseline."""

    releases: list[dict[str, Any]] = field(default_factory=list)
    consumers: list[dict[str, Any]] = field(default_factory=list)
    order: list[dict[str, Any]] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``constructs-pkg plan --json``)."""
        return {
            "releases": self.releases,
            "consumers": self.consumers,
            "release_order": self.order,
            "hazards": [asdict(h) for h in self.hazards],
        }

    def render(self) -> str:
        """Human-readable text (the default output)."""
        lines: list[str] = []
        for stack in sorted(
            {r["stack"] for r in self.releases} | {c["stack"] for c in self.consumers}
        ):
            lines.append(f"Stack {stack}")
            releases = [r for r in self.releases if r["stack"] == stack]
            if releases:
                lines.append("  Releases")
            for release in releases:
                lines.extend(_release_lines(release))
            consumers = [c for c in self.consumers if c["stack"] == stack]
            if consumers:
                lines.append("  Ordered consumers")
            for consumer in consumers:
                lines.extend(_consumer_lines(consumer))
        if self.order:
            lines.append("Release order (consumers first)")
            for edge in self.order:
                lines.append(
                    f"  {edge['producer']} after {edge['consumer']} "
                    f"(format {edge['format_version']} via {edge['via']})"
                )
        if self.hazards:
            lines.append(f"HAZARDS ({len(self.hazards)})")
            for hazard in self.hazards:
                lines.append(f"  [{hazard.kind}] {hazard.stack}: {hazard.message}")
        else:
            lines.append("No hazards found.")
        return "\n".join(lines)


def _release_lines(release: Mapping[str, Any]) -> list[str]:
    """Return the lines of one release in :meth:`Plan.render`."""
    rollout = release["rollout"]["description"]
    lines = [f"    {release['path']} (alias {release['alias']}): {rollout}"]
    if "fleet" in release:
        lines.append(
            f"      fleet {release['fleet']}, wave {release['wave']}, "
            f"release {release['release_id']}"
        )
    lines.append(f"      timeline: {_timeline_text(release['rollout'])}")
    lines.append(
        f"      rollback alarms: {len(release['alarms'])}, need "
        f"{release['alarm_window_minutes']} min of data"
        + (" (IGNORED: hotfix deploy)" if release["hotfix"] else "")
    )
    lines.append(f"      rehearsal: {_rehearsal_text(release['rehearsal'])}")
    if "change" in release:
        lines.append(f"      change since the baseline: {release['change']}")
    return lines


def _consumer_lines(consumer: Mapping[str, Any]) -> list[str]:
    """Return the lines of one ordered consumer in :meth:`Plan.render`."""
    capacity = consumer["capacity"]
    # None values are not rendered into template metadata: use .get
    concurrency = capacity.get("max_concurrent_invocations", "unbounded")
    stall = approx_duration(capacity.get("poison_stall_seconds"), unknown="unbounded/unknown")
    return [
        f"    {consumer['path']} ({consumer['kind']}) -> {consumer['consumer']}, "
        f"accepts format versions {consumer['accepted_format_versions']}",
        f"      max concurrency {concurrency} "
        f"({capacity['concurrency_formula']}); poison-record stall "
        f"{stall} "
        f"({capacity['poison_stall_formula']})",
    ]


_FAULT_WORDS = {
    "errors=100%": "fails every call",
    "errors=5%": "5% errors",
    "latency=3x": "3x latency",
    "healthy": "healthy",
}


def _rehearsal_text(rehearsal: Mapping[str, Any]) -> str:
    """One line: per rate, how often each fault is rolled back (healthy: false rollbacks)."""
    if rehearsal.get("status") != "rehearsed":
        return str(rehearsal.get("reason", NOT_REHEARSED))
    parts = []
    for rate, scenarios in rehearsal["rates"].items():
        words = []
        for fault, figures in scenarios.items():
            share = f"{figures['p_rollback'] * 100:.1f}%"
            if fault == "healthy":
                words.append(f"healthy {share} wrongly rolled back")
                continue
            timing = figures.get("rollback_minutes_p50")
            words.append(
                f"{_FAULT_WORDS.get(fault, fault)} {share} rolled back"
                + (f" (p50 {timing:.1f} min)" if timing is not None else "")
            )
        parts.append(f"at {rate} req/s: " + ", ".join(words))
    return f"{rehearsal['runs']} runs, seed {rehearsal['seed']}, default assumptions; " + "; ".join(
        parts
    )


def _rehearse(assembly: Assembly, rates: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Release name -> its plan rehearsal figures (every release of the assembly)."""
    from constructs_pkg._text import number
    from constructs_pkg.rehearsal import rehearse

    rehearsal = rehearse(
        assembly,
        traffic=rates,
        faults=list(PLAN_REHEARSAL_FAULTS),
        runs=PLAN_REHEARSAL_RUNS,
        seed=PLAN_REHEARSAL_SEED,
    )
    found: dict[str, dict[str, Any]] = {}
    for release in rehearsal.releases:
        results = rehearsal.for_release(release.name)
        if not results:
            found[release.name] = {"status": "not rehearsed", "reason": "its rollout is unknown"}
            continue
        by_rate: dict[str, dict[str, Any]] = {}
        for result in results:
            by_rate.setdefault(number(result.rate), {})[result.fault] = {
                "p_rollback": result.p_rollback,
                "p_promoted": result.p_promoted,
                "rollback_minutes_p50": result.rollback_minutes_p50,
            }
        found[release.name] = {
            "status": "rehearsed",
            "runs": PLAN_REHEARSAL_RUNS,
            "seed": PLAN_REHEARSAL_SEED,
            "rates": by_rate,
            "findings": [finding.render() for finding in release.findings],
        }
    return found


def _releases(templates: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every SafeFunction's release record, with its fleet membership, as plan entries."""
    members = {
        (found.stack, found.logical_id): found.record
        for found in find_records(templates, FleetMemberRecord)
    }
    releases = []
    for found in find_records(templates, ReleaseRecord):
        entry = {**found.record.to_metadata(), "stack": found.stack, "logical_id": found.logical_id}
        member = members.get((found.stack, found.logical_id))
        if member is not None:
            entry.update(fleet=member.fleet, wave=member.wave, release_id=member.release_id)
        releases.append(entry)
    return releases


def _consumers(templates: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every consumer record as a plan entry."""
    return [
        {**found.record.to_metadata(), "stack": found.stack, "logical_id": found.logical_id}
        for found in find_records(templates, ConsumerRecord)
    ]


def build_plan(
    assembly: Assembly,
    baseline: Assembly | None = None,
    *,
    rehearse_at: Sequence[float] | None = None,
) -> Plan:
    """Describe ``assembly``'s release; with ``baseline``, find the hazards since it.

    With ``rehearse_at`` (request rates), each release is rehearsed at those rates
    (:data:`PLAN_REHEARSAL_RUNS` runs, seed :data:`PLAN_REHEARSAL_SEED`); otherwise its
    ``rehearsal`` entry says it was not rehearsed.
    """
    plan = Plan()
    rehearsed = _rehearse(assembly, rehearse_at) if rehearse_at is not None else {}
    for release in _releases(assembly.templates):
        release["rehearsal"] = rehearsed.get(
            release["path"], {"status": "not rehearsed", "reason": NOT_REHEARSED}
        )
        plan.releases.append(release)
    plan.consumers = _consumers(assembly.templates)
    for consumer in plan.consumers:
        for producer in consumer.get("producers", []):
            plan.order.append(
                {
                    "producer": producer["producer"],
                    "consumer": consumer["consumer"],
                    "format_version": producer["format_version"],
                    "via": consumer["path"],
                }
            )
    if baseline is not None:
        changes = _changes(assembly.templates, baseline.templates, plan.releases)
        for release in plan.releases:
            release["change"] = changes.get(release["path"], "new")
        plan.hazards = (
            _decommission_hazards(assembly, baseline)
            + _format_hazards(plan.consumers, _consumers(baseline.templates))
            + _rollout_hazards(plan.releases, _releases(baseline.templates))
        )
    return plan


def _function_of_alias(template: Mapping[str, Any], alias_id: str) -> Mapping[str, Any] | None:
    """Return the properties of the function an alias (a logical id) points at."""
    resources = mapping(template.get("Resources"))
    alias = mapping(mapping(resources.get(alias_id)).get("Properties"))
    function_id = mapping(alias.get("FunctionName")).get("Ref")
    function = mapping(resources.get(function_id)) if isinstance(function_id, str) else {}
    if function.get("Type") != "AWS::Lambda::Function":
        return None
    return mapping(function.get("Properties"))


def _without_recycle(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Return a function's properties without the recycle token (what a recycle changes)."""
    result = dict(properties)
    variables = dict(mapping(mapping(result.get("Environment")).get("Variables")))
    variables.pop(RECYCLE_ENV, None)
    result["Environment"] = variables
    return result


def _changes(
    current: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[str, Mapping[str, Any]],
    releases: Sequence[Mapping[str, Any]],
) -> dict[str, str]:
    """Say what changes for each SafeFunction since the baseline.

    ``recycle only, code unchanged`` when only the recycle token differs; ``code changed``
    when the code does; ``configuration changed`` for any other property; ``unchanged``.
    """
    before = {
        found.record.path: (found.stack, found.logical_id)
        for found in find_records(baseline, ReleaseRecord)
    }
    changes: dict[str, str] = {}
    for release in releases:
        place = before.get(release["path"])
        if place is None:
            continue
        new = _function_of_alias(current[release["stack"]], release["logical_id"])
        old = _function_of_alias(baseline[place[0]], place[1])
        if new is None or old is None:
            changes[release["path"]] = "unknown (the function is not in the template)"
        elif new == old:
            changes[release["path"]] = "unchanged"
        elif new.get("Code") != old.get("Code"):
            changes[release["path"]] = "code changed"
        elif _without_recycle(new) == _without_recycle(old):
            changes[release["path"]] = "recycle only, code unchanged"
        else:
            changes[release["path"]] = "configuration changed"
    return changes


def _decommission_hazards(assembly: Assembly, baseline: Assembly) -> list[Hazard]:
    """Stateful resources removed while the baseline's functions still use them.

    Linear in the size of the templates: each user resource of the baseline is scanned
    for references once, whatever the number of removed resources.
    """
    old = TemplateSet(baseline.templates)
    removed = []
    for resource in old.resources(*STATEFUL_TYPES):
        current = mapping(mapping(assembly.templates.get(resource.stack)).get("Resources"))
        if resource.logical_id not in current:
            removed.append(resource)
    if not removed:
        return []
    wanted = {(resource.stack, resource.logical_id) for resource in removed}
    users: dict[tuple[str, str], set[str]] = {}
    for user in old.resources(*_USER_TYPES):
        for logical_id in set(direct_refs(user.body)):
            if (user.stack, logical_id) in wanted:
                users.setdefault((user.stack, logical_id), set()).add(user.logical_id)
    hazards = []
    for resource in removed:
        names = sorted(users.get((resource.stack, resource.logical_id), ()))
        if names:
            policy = resource.body.get("DeletionPolicy", "Delete")
            policy = policy if isinstance(policy, str) else "computed"
            hazards.append(
                Hazard(
                    "decommission",
                    resource.stack,
                    resource.logical_id,
                    f"{resource.type} {resource.logical_id} is removed (DeletionPolicy {policy}) "
                    f"while the baseline still uses it from {', '.join(names)}: old code runs "
                    "until its alias shifts, so remove the reference in one release and the "
                    "resource in a later one.",
                )
            )
    return hazards


def _format_hazards(current: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> list[Hazard]:
    hazards = []
    now = {c["path"]: c for c in current}
    for old in baseline:
        new = now.get(old["path"])
        if new is None:
            continue
        accepted = set(new.get("accepted_format_versions", []))
        for producer in old.get("producers", []):
            version = producer["format_version"]
            if version not in accepted:
                hazards.append(
                    Hazard(
                        "format-dropped",
                        old["stack"],
                        old["path"],
                        f"{old['path']} no longer accepts format version {version}, which "
                        f"{producer['producer']} emits in the baseline: records in flight and "
                        "the producer's old version still write it. Move the producer to a newer "
                        "version first, drop the old one in a later release.",
                    )
                )
    return hazards


def _at(minute: int) -> str:
    return f"t+{minute} min" if minute else "t0"


def _timeline_text(rollout: dict[str, Any]) -> str:
    """``10% at t0, 100% at t+10 min, bake until t+18 min``: the shifts, then the bake."""
    timeline = rollout["timeline"]
    text = ", ".join(f"{pct}% at {_at(minute)}" for minute, pct in timeline)
    bake = rollout.get("bake_minutes", 0)
    if bake and timeline:
        text += f", bake until {_at(timeline[-1][0] + bake)}"
    return text


def _rollout_hazards(current: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> list[Hazard]:
    hazards = []
    before = {r["path"]: r for r in baseline}
    for release in current:
        old = before.get(release["path"])
        if old is None:
            continue
        reasons = []
        if len(release["alarms"]) < len(old["alarms"]):
            reasons.append(
                f"rollback alarms went from {len(old['alarms'])} to {len(release['alarms'])}"
            )
        if release["rollout"]["kind"] == "all_at_once" and old["rollout"]["kind"] != "all_at_once":
            reasons.append(f"the rollout became all at once (was {old['rollout']['description']})")
        if release["hotfix"] and not old["hotfix"]:
            reasons.append("this is a hotfix deploy: alarms are ignored")
        if release["rollout"]["kind"] == "disabled" and old["rollout"]["kind"] != "disabled":
            reasons.append("the rollout is disabled: no CodeDeploy, nothing rolls back")
        bake, old_bake = (r["rollout"].get("bake_minutes", 0) for r in (release, old))
        if bake < old_bake and release["rollout"]["kind"] != "disabled":
            reasons.append(
                f"the bake went from {old_bake} to {bake} minutes (the alarms stop watching "
                "sooner after the last shift)"
            )
        if reasons:
            hazards.append(
                Hazard(
                    "less-safe-rollout",
                    release["stack"],
                    release["path"],
                    f"{release['path']} is released less safely: {'; '.join(reasons)}.",
                )
            )
    return hazards
