"""Writes to the library registry: loading the registry file into the database.

The file named by TOSHOKAN_LIBRARIES is the source of the systems it lists (CONTRACT.md, "Library systems
for live availability"); staff can add more in the admin. Loading a file therefore
- creates and updates the systems and branches it lists, in its order (a row staff added under the same
  systemid or libkey is taken over by the file, which then owns it);
- removes only the systems and branches that came from that same file and are gone from it, never rows
  staff added in the admin (source "admin") or rows from another file;
- writes nothing when nothing changed, so loading the same file twice is a no-op (the demo loader and
  `make run` load it on every start);
- refuses, before writing anything, a local system whose branch codes are not toshokan branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from toshokan.catalog import selectors as catalog_selectors

from . import selectors
from .domain.registry import BranchSpec, Connector, Registry, SystemSpec
from .domain.registry_file import RegistryError
from .models import ADMIN_SOURCE, CheckConfig, LibraryBranch, LibrarySystem

SYSTEM_FIELDS = (
    "name",
    "pref",
    "city",
    "connector",
    "endpoint",
    "timeout_s",
    "options",
    "reserve_url",
    "source",
    "attribution",
    "position",
)
BRANCH_FIELDS = (
    "libkey",
    "formal",
    "short",
    "address",
    "postcode",
    "tel",
    "city",
    "longitude",
    "latitude",
    "category",
    "isil",
    "url",
    "branch",
    "source",
    "position",
)


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What a load changed; `changed` is False when the database already matched the file."""

    systems_created: int = 0
    systems_updated: int = 0
    systems_unchanged: int = 0
    systems_removed: int = 0
    branches_created: int = 0
    branches_updated: int = 0
    branches_removed: int = 0
    deadline_changed: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.systems_created
            or self.systems_updated
            or self.systems_removed
            or self.branches_created
            or self.branches_updated
            or self.branches_removed
            or self.deadline_changed
        )

    def __str__(self) -> str:
        return (
            f"systems: {self.systems_created} added, {self.systems_updated} updated, "
            f"{self.systems_unchanged} unchanged, {self.systems_removed} removed; "
            f"libraries: {self.branches_created} added, {self.branches_updated} updated, "
            f"{self.branches_removed} removed"
        )


def file_source(name: str) -> str:
    """The `source` recorded on rows loaded from the registry file `name`."""
    return name if name.startswith("file:") else f"file:{name}"


def _system_values(spec: SystemSpec, source: str, position: int) -> dict[str, Any]:
    return {
        "name": spec.name,
        "pref": spec.pref,
        "city": spec.city,
        "connector": spec.connector.value,
        "endpoint": spec.endpoint,
        "timeout_s": float(spec.timeout_s),
        "options": dict(spec.options),
        "reserve_url": spec.reserve_url,
        "source": source,
        "attribution": spec.attribution,
        "position": position,
    }


def _branch_values(spec: BranchSpec, source: str, position: int) -> dict[str, Any]:
    lon, lat = spec.geocode if spec.geocode is not None else (None, None)
    return {
        "libkey": spec.libkey,
        "formal": spec.formal,
        "short": spec.short,
        "address": spec.address,
        "postcode": spec.postcode,
        "tel": spec.tel,
        "city": spec.city,
        "longitude": lon,
        "latitude": lat,
        "category": spec.category.value,
        "isil": spec.isil,
        "url": spec.url,
        "branch": spec.branch,
        "source": source,
        "position": position,
    }


def _check_local_branches(registry: Registry) -> None:
    codes = set(catalog_selectors.branches().values_list("code", flat=True))
    errors = []
    for number, system in enumerate(registry.systems, start=1):
        if system.connector is not Connector.LOCAL:
            continue
        for index, branch in enumerate(system.branches, start=1):
            if branch.branch not in codes:
                known = ", ".join(sorted(codes)) or "none yet: load the catalogue first"
                errors.append(
                    f"system {number} ({system.systemid}), branch {index} ({branch.libkey}), branch: "
                    f"{branch.branch!r} is not a toshokan branch code (known: {known})"
                )
    if errors:
        raise RegistryError(errors)


@transaction.atomic
def sync_registry(registry: Registry, *, source: str) -> SyncSummary:
    """Make the database's copy of the registry file `source` match `registry` (see the module's rules).

    Raises RegistryError, writing nothing, when a local system names a branch code toshokan lacks.
    """
    source = file_source(source)
    if source == ADMIN_SOURCE:
        raise ValueError("a file's source cannot be 'admin'")
    _check_local_branches(registry)
    counts = dict.fromkeys(
        ("sc", "su", "sn", "sr", "bc", "bu", "br"),
        0,
    )
    existing = {s.systemid: s for s in LibrarySystem.objects.select_for_update()}
    branches_by_system: dict[int, dict[str, LibraryBranch]] = {}
    for b in LibraryBranch.objects.filter(system__in=[s.pk for s in existing.values()]):
        branches_by_system.setdefault(b.system_id, {})[b.libkey] = b

    new_branches: list[LibraryBranch] = []
    changed_branches: list[LibraryBranch] = []
    stale_branches: list[int] = []
    listed = set()
    for position, spec in enumerate(registry.systems):
        listed.add(spec.systemid)
        values = _system_values(spec, source, position)
        row = existing.get(spec.systemid)
        if row is None:
            row = LibrarySystem.objects.create(systemid=spec.systemid, **values)
            counts["sc"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.save()
            counts["su"] += 1
        else:
            counts["sn"] += 1
        have = branches_by_system.get(row.pk, {})
        wanted = set()
        for index, branch_spec in enumerate(spec.branches):
            wanted.add(branch_spec.libkey)
            bvalues = _branch_values(branch_spec, source, index)
            brow = have.get(branch_spec.libkey)
            if brow is None:
                new_branches.append(LibraryBranch(system=row, **bvalues))
            elif any(getattr(brow, k) != v for k, v in bvalues.items()):
                for k, v in bvalues.items():
                    setattr(brow, k, v)
                changed_branches.append(brow)
        stale_branches += [b.pk for key, b in have.items() if key not in wanted and b.source != ADMIN_SOURCE]

    gone = [s.pk for key, s in existing.items() if key not in listed and s.source == source]
    counts["sr"] = LibrarySystem.objects.filter(pk__in=gone).delete()[1].get(LibrarySystem._meta.label, 0)
    counts["br"] = len(stale_branches)
    LibraryBranch.objects.filter(pk__in=stale_branches).delete()
    LibraryBranch.objects.bulk_create(new_branches, batch_size=500)
    counts["bc"] = len(new_branches)
    # bulk_update skips auto_now; selectors.registry() notices changes by updated_at.
    now = timezone.now()
    for b in changed_branches:
        b.updated_at = now
    LibraryBranch.objects.bulk_update(changed_branches, [*BRANCH_FIELDS, "updated_at"], batch_size=500)
    counts["bu"] = len(changed_branches)

    config = CheckConfig.current()
    deadline_changed = config.deadline_s != registry.check.deadline_s or config.source != source
    if deadline_changed:
        config.deadline_s = registry.check.deadline_s
        config.source = source
        config.save()

    selectors.forget_registry()
    transaction.on_commit(selectors.forget_registry)
    return SyncSummary(
        systems_created=counts["sc"],
        systems_updated=counts["su"],
        systems_unchanged=counts["sn"],
        systems_removed=counts["sr"],
        branches_created=counts["bc"],
        branches_updated=counts["bu"],
        branches_removed=counts["br"],
        deadline_changed=deadline_changed,
    )
