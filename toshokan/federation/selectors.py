"""Reads of the library registry: the Registry a check runs against, and the library list Calil's
`/library` answers with.

`registry()` is called for every check, so it is cached per process and rebuilt only when the tables
changed: each call costs one small aggregate query (row counts and the latest `updated_at`), which
notices edits in the admin, loads in another process and rolled-back test transactions alike.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from .domain.registry import BranchSpec, Category, CheckSettings, Connector, Registry, SystemSpec
from .models import CheckConfig, LibraryBranch, LibrarySystem

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG), as great-circle distances usually take it

_lock = threading.Lock()
_cached: tuple[object, Registry] | None = None


def _version() -> object:
    systems = LibrarySystem.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    branches = LibraryBranch.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    config = CheckConfig.objects.aggregate(t=Max("updated_at"))
    return (systems["n"], systems["t"], branches["n"], branches["t"], config["t"])


def forget_registry() -> None:
    """Drop this process's cached Registry (the next call reads the tables)."""
    global _cached
    with _lock:
        _cached = None


def registry() -> Registry:
    """Every library system and branch in the database, as the frozen Registry checks run against."""
    global _cached
    version = _version()
    with _lock:
        if _cached is not None and _cached[0] == version:
            return _cached[1]
    built = _build_registry()
    with _lock:
        _cached = (version, built)
    return built


def _build_registry() -> Registry:
    config = CheckConfig.objects.filter(pk=1).first()
    check = CheckSettings(deadline_s=config.deadline_s) if config else CheckSettings()
    systems = LibrarySystem.objects.prefetch_related("branches").order_by("position", "systemid")
    return Registry(check=check, systems=tuple(system_spec(s) for s in systems))


def system_spec(system: LibrarySystem) -> SystemSpec:
    return SystemSpec(
        systemid=system.systemid,
        name=system.name,
        pref=system.pref,
        city=system.city,
        connector=Connector(system.connector),
        endpoint=system.endpoint,
        timeout_s=system.timeout_s,
        options=dict(system.options or {}),
        branches=tuple(branch_spec(b) for b in system.branches.all()),
        reserve_url=system.reserve_url,
        source=system.source,
        attribution=system.attribution,
    )


def branch_spec(branch: LibraryBranch) -> BranchSpec:
    return BranchSpec(
        libkey=branch.libkey,
        formal=branch.formal,
        short=branch.short or branch.formal,
        address=branch.address,
        postcode=branch.postcode,
        tel=branch.tel,
        geocode=branch.geocode,
        category=Category(branch.category),
        isil=branch.isil,
        url=branch.url,
        branch=branch.branch,
        city=branch.city,
    )


@dataclass(frozen=True, slots=True)
class Library:
    """One library as Calil's `/library` lists it, with its system's fields."""

    libid: int  # the branch row's id: stable while the row lives
    systemid: str
    systemname: str
    libkey: str
    short: str
    formal: str
    url: str
    address: str
    pref: str
    city: str
    postcode: str
    tel: str
    geocode: tuple[float, float] | None
    category: str
    isil: str
    primary: bool  # the system's first library (its central library, in the registry's order)
    connector: str
    attribution: str
    distance_km: float | None = None  # from the geocode asked about, when one was


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (longitude, latitude) points, in kilometres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _branches(
    *, pref: str | None, city: str | None, systemid: str | None, near: bool
) -> QuerySet[LibraryBranch]:
    qs = LibraryBranch.objects.select_related("system")
    if pref:
        qs = qs.filter(system__pref=pref)
    if city:
        # A branch's own municipality when it has one (a prefectural system's branches), else its system's.
        qs = qs.filter(Q(city=city) | Q(city="", system__city=city))
    if systemid:
        qs = qs.filter(system__systemid__in=[s.strip() for s in systemid.split(",") if s.strip()])
    if near:
        qs = qs.filter(longitude__isnull=False, latitude__isnull=False)
    return qs.order_by("system__position", "system__systemid", "position", "libkey")


def _primary_ids(system_ids: set[int]) -> set[int]:
    first: dict[int, int] = {}
    rows = (
        LibraryBranch.objects.filter(system_id__in=system_ids)
        .order_by("system_id", "position", "libkey")
        .values_list("system_id", "id")
    )
    for system_id, branch_id in rows:
        first.setdefault(system_id, branch_id)
    return set(first.values())


def libraries(
    *,
    pref: str | None = None,
    city: str | None = None,
    systemid: str | None = None,
    geocode: tuple[float, float] | None = None,
    limit: int | None = None,
) -> list[Library]:
    """The libraries matching every filter given, as Calil's `/library` lists them.

    With `geocode` (longitude, latitude): only libraries with a geocode, nearest first, each with its
    distance in kilometres — Calil's "libraries near here". Otherwise in the registry's order.
    `systemid` may list several, comma-separated. `limit` keeps the first that many.
    """
    qs = _branches(pref=pref, city=city, systemid=systemid, near=geocode is not None)
    distances: dict[int, float] = {}
    if geocode is not None:
        # Distances from the coordinates alone; whole rows only for the nearest `limit`.
        for pk, lon, lat in qs.values_list("pk", "longitude", "latitude"):
            if lon is not None and lat is not None:
                distances[pk] = haversine_km(geocode, (lon, lat))
        nearest = sorted(distances, key=lambda pk: (distances[pk], pk))[:limit]
        rows = {b.pk: b for b in (qs.filter(pk__in=nearest) if len(nearest) <= 500 else qs)}
        branches = [rows[pk] for pk in nearest if pk in rows]
    else:
        branches = list(qs[:limit] if limit is not None else qs)
    primary = _primary_ids({b.system_id for b in branches})
    return [
        Library(
            libid=b.pk,
            systemid=b.system.systemid,
            systemname=b.system.name,
            libkey=b.libkey,
            short=b.short or b.formal,
            formal=b.formal,
            url=b.url,
            address=b.address,
            pref=b.system.pref,
            city=b.city or b.system.city,
            postcode=b.postcode,
            tel=b.tel,
            geocode=b.geocode,
            category=b.category,
            isil=b.isil,
            primary=b.pk in primary,
            connector=b.system.connector,
            attribution=b.system.attribution,
            distance_km=distances.get(b.pk),
        )
        for b in branches
    ]


def attributions() -> list[str]:
    """Every distinct attribution the registry's data asks to be shown (for pages that show it)."""
    return sorted(
        set(LibrarySystem.objects.exclude(attribution="").values_list("attribution", flat=True).distinct())
    )
