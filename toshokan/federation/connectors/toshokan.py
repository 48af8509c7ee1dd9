"""The `toshokan` connector: another toshokan, through its availability API.

One request per system for all ISBNs: `GET {endpoint}/api/v1/federation/availability?isbn=a,b`,
answered by the other toshokan's `local` logic as `{"isbns": {isbn: {"libkeys": {libkey: status},
"reserveurl": str}}}` (toshokan/federation/api.py). Options: `path` (another API prefix),
`systemid` (which of the remote's local systems to ask for, when it has several), `locations`
(remote libkey → our libkey, when the two registries name branches differently).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..domain import holdings
from ..domain.availability import BranchStatus, SystemAnswer
from ..domain.registry import SystemSpec
from .base import FetchError, Http, libkey_for, ok, reserve_url

PATH = "/api/v1/federation/availability"


class ToshokanConnector:
    async def check(self, spec: SystemSpec, isbns: Sequence[str], http: Http) -> dict[str, SystemAnswer]:
        params = [("isbn", ",".join(isbns))]
        if spec.options.get("systemid"):
            params.append(("systemid", str(spec.options["systemid"])))
        url = spec.endpoint.rstrip("/") + str(spec.options.get("path", PATH))
        payload = (await http.get(url, params=params)).ok().json()
        found = payload.get("isbns") if isinstance(payload, dict) else None
        if not isinstance(found, dict):
            raise FetchError(f"no 'isbns' object in the answer from {url}")
        locations = spec.options.get("locations") or {}
        out: dict[str, SystemAnswer] = {}
        for isbn in isbns:
            entry = found.get(isbn)
            if not isinstance(entry, dict) or not isinstance(entry.get("libkeys", {}), dict):
                raise FetchError(f"no answer for ISBN {isbn} from {url}")
            libkeys: dict[str, BranchStatus] = {}
            for key, value in entry.get("libkeys", {}).items():
                status = holdings.from_calil(value)
                if status is not None:  # two remote branches may stand for one of ours: the better wins
                    holdings.merge(libkeys, libkey_for(spec, str(key), locations), status)
            remote: str = entry["reserveurl"] if isinstance(entry.get("reserveurl"), str) else ""
            out[isbn] = ok(libkeys, reserve_url(spec, isbn, remote or ""))
        return out
