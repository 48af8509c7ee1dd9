"""Reading the library registry file: TOML into the frozen Registry, with errors people can act on.

The format is the public one in CONTRACT.md ("Library systems for live availability"); docs/libraries.md
lists every field. Beyond the contract's fields a system may carry `reserve_url` (Calil's `reserveurl`, a
template with `{isbn}`) and `attribution` (what its data's licence asks to be shown), and a branch
`postcode`, `tel`, `isil`, `url` and `city`.

Every problem in a file is reported at once, each naming where it is — `system 3 (Tokyo_Chiyoda), branch 2
(中央), geocode: …` — so that a librarian editing a file of a thousand systems fixes them in one pass.
Unknown fields are errors too: a misspelt `adress` would otherwise vanish silently.

The same checks serve the admin (models' `clean()`), so a row typed there obeys the file's rules.
Parsing is the standard library's tomllib; nothing here touches Django.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .registry import BranchSpec, Category, CheckSettings, Connector, Registry, SystemSpec

# Calil's systemids are ASCII words joined by underscores ("Tokyo_Chiyoda", "Univ_Tokyo"). A comma or a
# space would break `/calil/check?systemid=a,b`, which lists them comma-separated.
SYSTEMID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# ISIL (ISO 15511): a prefix (country code or a non-country prefix), a hyphen, up to 11 characters.
ISIL = re.compile(r"^[A-Z]{1,4}-[A-Za-z0-9:/-]{1,11}$")
REMOTE = frozenset({Connector.TOSHOKAN, Connector.SRU, Connector.CALIL})
MAX_DEADLINE_S = 600.0
MAX_TIMEOUT_S = 120.0

CHECK_FIELDS = frozenset({"deadline_s"})
SYSTEM_FIELDS = frozenset(
    {
        "systemid",
        "name",
        "pref",
        "city",
        "connector",
        "endpoint",
        "timeout_s",
        "options",
        "reserve_url",
        "attribution",
        "branch",
    }
)
BRANCH_FIELDS = frozenset(
    {
        "libkey",
        "formal",
        "short",
        "address",
        "postcode",
        "tel",
        "geocode",
        "category",
        "isil",
        "url",
        "branch",
        "city",
    }
)


class RegistryError(ValueError):
    """The registry file (or a row typed in the admin) breaks the format; `errors` lists every problem."""

    def __init__(self, errors: list[str], *, source: str = "") -> None:
        self.errors = errors
        where = f"{source}: " if source else ""
        super().__init__(where + ("; ".join(errors) if len(errors) == 1 else "\n  " + "\n  ".join(errors)))


# Checks shared with the admin. Each returns the cleaned value or raises ValueError with the reason.


def parse_geocode(value: object) -> tuple[float, float]:
    """Calil's "lon,lat" (longitude first), or a TOML array [lon, lat]."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list):
        parts = value
    else:
        raise ValueError(f'must be "lon,lat" (longitude first, as Calil writes it), not {value!r}')
    if len(parts) != 2:
        raise ValueError(f'must be "lon,lat" (two numbers), not {value!r}')
    try:
        lon, lat = (float(str(p).strip()) for p in parts)
    except ValueError:
        raise ValueError(f'must be "lon,lat" (two numbers), not {value!r}') from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ValueError(f"{value!r} is off the globe (longitude -180..180, latitude -90..90)")
    return lon, lat


def format_geocode(geocode: tuple[float, float] | None) -> str:
    return "" if geocode is None else f"{geocode[0]:.7g},{geocode[1]:.7g}"


def check_systemid(value: str) -> str:
    if not SYSTEMID.match(value):
        raise ValueError(
            f"{value!r} must be 1–64 ASCII letters, digits, '_', '.' or '-' (Calil's style: Tokyo_Chiyoda)"
        )
    return value


def check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} must be an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError(f"{value!r} must not carry a user name or password (put secrets in settings)")
    return value


def check_endpoint(connector: Connector, endpoint: str) -> str:
    """Remote connectors need an http(s) base URL; the local connector takes none."""
    if connector is Connector.LOCAL:
        if endpoint:
            raise ValueError("the local connector takes no endpoint (leave it empty)")
        return ""
    if connector is Connector.CALIL and not endpoint:
        return ""  # Calil's own API at its usual address, named in settings
    if not endpoint:
        raise ValueError(f"the {connector} connector needs an http:// or https:// endpoint")
    return check_http_url(endpoint)


def check_reserve_url(value: str) -> str:
    if not value:
        return ""
    check_http_url(value.replace("{isbn}", "0"))
    try:
        value.format(isbn="0")
    except (KeyError, IndexError, ValueError):
        raise ValueError(f"{value!r} may use only the placeholder {{isbn}}") from None
    return value


def check_isil(value: str) -> str:
    if value and not ISIL.match(value):
        raise ValueError(f"{value!r} is not an ISIL (like JP-1000031)")
    return value


def check_connector(value: object) -> Connector:
    try:
        return Connector(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not one of {', '.join(c.value for c in Connector)}") from None


def check_category(value: object) -> Category:
    try:
        return Category(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not one of {', '.join(c.value for c in Category)}") from None


def check_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_TIMEOUT_S:
        raise ValueError(f"must be a number of seconds above 0 and at most {MAX_TIMEOUT_S:g}, not {value!r}")
    return float(value)


class _Collector:
    """Gathers every problem with where it is, instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def field(self, where: str, table: Mapping[str, Any], name: str, check: Callable[[Any], Any]) -> Any:
        try:
            return check(table[name])
        except ValueError as error:
            self.errors.append(f"{where}, {name}: {error}")
            return None

    def text(self, where: str, table: Mapping[str, Any], name: str, *, required: bool = False) -> str:
        value = table.get(name, "")
        if not isinstance(value, str):
            self.errors.append(f"{where}, {name}: must be a string, not {value!r}")
            return ""
        value = value.strip()
        if required and not value:
            self.errors.append(f"{where}, {name}: is required")
        return value

    def unknown(self, where: str, table: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for name in sorted(set(table) - allowed):
            self.errors.append(f"{where}: unknown field {name!r} (known: {', '.join(sorted(allowed))})")


def parse_registry(text: str, *, source: str = "") -> Registry:
    """The registry in `text` (TOML); RegistryError lists every problem. `source` names the file in
    messages and is recorded on each system."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RegistryError([f"not valid TOML: {error}"], source=source) from None
    c = _Collector()
    c.unknown("file", data, frozenset({"check", "system"}))

    check = data.get("check", {})
    deadline = CheckSettings().deadline_s
    if not isinstance(check, dict):
        c.errors.append("[check]: must be a table")
    else:
        c.unknown("[check]", check, CHECK_FIELDS)
        if "deadline_s" in check:
            value = check["deadline_s"]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 < value <= MAX_DEADLINE_S
            ):
                c.errors.append(
                    f"[check], deadline_s: must be a number of seconds above 0 and at most "
                    f"{MAX_DEADLINE_S:g}, not {value!r}"
                )
            else:
                deadline = float(value)

    raw_systems = data.get("system", [])
    if not isinstance(raw_systems, list):
        c.errors.append("[[system]]: must be an array of tables ([[system]], not [system])")
        raw_systems = []
    systems: list[SystemSpec] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(raw_systems, start=1):
        spec = _system(c, number, raw, seen, source)
        if spec is not None:
            systems.append(spec)
    if c.errors:
        raise RegistryError(c.errors, source=source)
    return Registry(check=CheckSettings(deadline_s=deadline), systems=tuple(systems))


def load_registry_file(path: str | Path) -> Registry:
    """The registry in the TOML file at `path`, its name recorded as each system's source."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RegistryError([f"cannot read the file: {error.strerror or error}"], source=str(path)) from None
    except UnicodeDecodeError:
        raise RegistryError(["the file must be UTF-8"], source=str(path)) from None
    return parse_registry(text, source=str(path))


def _system(c: _Collector, number: int, raw: object, seen: dict[str, int], source: str) -> SystemSpec | None:
    systemid = raw.get("systemid") if isinstance(raw, dict) else None
    where = f"system {number}" + (f" ({systemid})" if isinstance(systemid, str) and systemid else "")
    if not isinstance(raw, dict):
        c.errors.append(f"{where}: must be a table")
        return None
    before = len(c.errors)
    c.unknown(where, raw, SYSTEM_FIELDS)
    systemid = c.text(where, raw, "systemid", required=True)
    if systemid:
        try:
            check_systemid(systemid)
        except ValueError as error:
            c.errors.append(f"{where}, systemid: {error}")
        if systemid in seen:
            c.errors.append(f"{where}, systemid: {systemid!r} is already used by system {seen[systemid]}")
        else:
            seen[systemid] = number
    name = c.text(where, raw, "name", required=True)
    pref = c.text(where, raw, "pref")
    city = c.text(where, raw, "city")
    connector: Connector | None = None
    if "connector" not in raw:
        c.errors.append(f"{where}, connector: is required ({', '.join(x.value for x in Connector)})")
    else:
        connector = c.field(where, raw, "connector", check_connector)
    endpoint = c.text(where, raw, "endpoint")
    if connector is not None:
        try:
            endpoint = check_endpoint(connector, endpoint)
        except ValueError as error:
            c.errors.append(f"{where}, endpoint: {error}")
    timeout = c.field(where, raw, "timeout_s", check_timeout) if "timeout_s" in raw else 5.0
    options = raw.get("options", {})
    if not isinstance(options, dict):
        c.errors.append(f'{where}, options: must be a table, like options = {{version = "1.2"}}')
        options = {}
    reserve_url = c.text(where, raw, "reserve_url")
    if reserve_url:
        reserve_url = c.field(where, {"reserve_url": reserve_url}, "reserve_url", check_reserve_url) or ""
    attribution = c.text(where, raw, "attribution")

    raw_branches = raw.get("branch", [])
    if not isinstance(raw_branches, list):
        c.errors.append(f"{where}, branch: must be an array of tables ([[system.branch]])")
        raw_branches = []
    if not raw_branches:
        c.errors.append(f"{where}: has no branches (add at least one [[system.branch]])")
    branches: list[BranchSpec] = []
    libkeys: dict[str, int] = {}
    for index, raw_branch in enumerate(raw_branches, start=1):
        branch = _branch(c, where, index, raw_branch, connector, libkeys)
        if branch is not None:
            branches.append(branch)
    if len(c.errors) > before or connector is None:
        return None
    return SystemSpec(
        systemid=systemid,
        name=name,
        pref=pref,
        city=city,
        connector=connector,
        endpoint=endpoint,
        timeout_s=timeout,
        options=dict(options),
        branches=tuple(branches),
        reserve_url=reserve_url,
        source=source,
        attribution=attribution,
    )


def _branch(
    c: _Collector,
    system_where: str,
    index: int,
    raw: object,
    connector: Connector | None,
    libkeys: dict[str, int],
) -> BranchSpec | None:
    libkey = raw.get("libkey") if isinstance(raw, dict) else None
    where = f"{system_where}, branch {index}" + (f" ({libkey})" if isinstance(libkey, str) and libkey else "")
    if not isinstance(raw, dict):
        c.errors.append(f"{where}: must be a table")
        return None
    c.unknown(where, raw, BRANCH_FIELDS)
    libkey = c.text(where, raw, "libkey", required=True)
    if libkey:
        if libkey in libkeys:
            c.errors.append(f"{where}, libkey: {libkey!r} is already used by branch {libkeys[libkey]}")
        else:
            libkeys[libkey] = index
    formal = c.text(where, raw, "formal", required=True)
    geocode = c.field(where, raw, "geocode", parse_geocode) if raw.get("geocode") not in (None, "") else None
    category = c.field(where, raw, "category", check_category) if "category" in raw else Category.MEDIUM
    isil = c.text(where, raw, "isil")
    if isil:
        c.field(where, {"isil": isil}, "isil", check_isil)
    url = c.text(where, raw, "url")
    if url:
        c.field(where, {"url": url}, "url", check_http_url)
    code = c.text(where, raw, "branch")
    if connector is Connector.LOCAL and not code:
        c.errors.append(f"{where}, branch: the local connector needs the toshokan branch code it stands for")
    elif connector is not None and connector is not Connector.LOCAL and code:
        c.errors.append(f"{where}, branch: only the local connector names a toshokan branch")
    return BranchSpec(
        libkey=libkey,
        formal=formal,
        short=c.text(where, raw, "short") or formal,
        address=c.text(where, raw, "address"),
        postcode=c.text(where, raw, "postcode"),
        tel=c.text(where, raw, "tel"),
        geocode=geocode,
        category=category or Category.MEDIUM,
        isil=isil,
        url=url,
        branch=code,
        city=c.text(where, raw, "city"),
    )
