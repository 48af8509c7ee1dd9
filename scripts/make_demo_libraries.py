#!/usr/bin/env python3
"""Make data/libraries/demo.toml, the demo's library registry, from openly licensed lists of Japanese
libraries (../shared/data/libraries_jp, described in its PROVENANCE.md and in data/libraries/PROVENANCE.md).

    .venv/bin/python scripts/make_demo_libraries.py [--source ../shared/data/libraries_jp]
        [--out data/libraries/demo.toml]

What goes in:
- this toshokan's own demo branches (toshokan/catalog/demo.py) as the local system Tokyo_Demo;
- every library in NDL's list of Collaborative Reference Database participants (CC BY 4.0) except school
  libraries and archives, with its formal and short name, postcode, address, telephone and ISIL;
  municipal libraries grouped into one system per municipality (a designated city's wards together:
  札幌市中央区 and 札幌市北区 are Hokkaido_Sapporo), prefectural libraries into <Pref>_Pref, university
  libraries into Univ_<name>, the National Diet Library and its branches into Tokyo_NDL, other special
  libraries one system each;
- geocodes from Wikidata (CC0) by ISIL, else from OpenStreetMap (ODbL) by the same name;
- OpenStreetMap's other libraries (ODbL) whose name says which municipality runs them (大阪市立港図書館)
  and which lie within 40 km of that municipality's libraries above, as further branches of its system.
Systems whose data came from OpenStreetMap carry the attribution ODbL asks for.

Categories are guessed from the list's library type and the name: university → UNIV, special and NDL
branches → SPECIAL, prefectural → LARGE, 公民館・図書室 → SMALL, 移動図書館 → BM, else MEDIUM.
Systemids are romanised with the project's analyser (toshokan.core.japanese), in Calil's style.
Every remote system gets the `calil` connector: the demo cannot reach these libraries' catalogues.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toshokan.core.japanese.readings import romanize  # noqa: E402

PREFS = {
    "北海道": "Hokkaido", "青森県": "Aomori", "岩手県": "Iwate", "宮城県": "Miyagi", "秋田県": "Akita",
    "山形県": "Yamagata", "福島県": "Fukushima", "茨城県": "Ibaraki", "栃木県": "Tochigi", "群馬県": "Gunma",
    "埼玉県": "Saitama", "千葉県": "Chiba", "東京都": "Tokyo", "神奈川県": "Kanagawa", "新潟県": "Niigata",
    "富山県": "Toyama", "石川県": "Ishikawa", "福井県": "Fukui", "山梨県": "Yamanashi", "長野県": "Nagano",
    "岐阜県": "Gifu", "静岡県": "Shizuoka", "愛知県": "Aichi", "三重県": "Mie", "滋賀県": "Shiga",
    "京都府": "Kyoto", "大阪府": "Osaka", "兵庫県": "Hyogo", "奈良県": "Nara", "和歌山県": "Wakayama",
    "鳥取県": "Tottori", "島根県": "Shimane", "岡山県": "Okayama", "広島県": "Hiroshima", "山口県": "Yamaguchi",
    "徳島県": "Tokushima", "香川県": "Kagawa", "愛媛県": "Ehime", "高知県": "Kochi", "福岡県": "Fukuoka",
    "佐賀県": "Saga", "長崎県": "Nagasaki", "熊本県": "Kumamoto", "大分県": "Oita", "宮崎県": "Miyazaki",
    "鹿児島県": "Kagoshima", "沖縄県": "Okinawa",
}  # fmt: skip

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"
CRD_ATTRIBUTION = "© National Diet Library, CC BY 4.0 (レファレンス協同データベース参加館一覧)"
WIKIDATA_ATTRIBUTION = "Wikidata, CC0 1.0"

# The demo library's own branches (toshokan/catalog/demo.py), placed in Chiyoda as their addresses say.
LOCAL_BRANCHES = [
    (
        "中央図書館",
        "デモ市立中央図書館",
        "中央",
        "東京都千代田区丸の内1-1",
        "100-0005",
        "139.7671,35.6812",
        "central",
    ),
    (
        "駅前分館",
        "デモ市立駅前分館",
        "駅前",
        "東京都千代田区神田1-2",
        "101-0044",
        "139.7709,35.6917",
        "ekimae",
    ),
    ("北分館", "デモ市立北分館", "北", "東京都千代田区北の丸3-4", "102-0091", "139.7522,35.6912", "kita"),
    ("南分館", "デモ市立南分館", "南", "東京都千代田区南平河町5-6", "102-0093", "139.7405,35.6800", "minami"),
]

PUBLIC_PREF, PUBLIC_CITY = {"21"}, {"22", "23", "24"}
UNIVERSITY = {"31", "32", "33", "34", "35"}
NDL = {"11", "12", "13", "14"}
SKIPPED = {"51", "52", "53", "54", "90"}  # school libraries and archives: not lending to the public
NEAR_KM = 40.0


@dataclass
class Branch:
    libkey: str
    formal: str
    short: str
    category: str
    address: str = ""
    postcode: str = ""
    tel: str = ""
    geocode: tuple[float, float] | None = None
    isil: str = ""
    city: str = ""
    from_osm: bool = False


@dataclass
class System:
    systemid: str
    name: str
    pref: str
    city: str = ""
    branches: list[Branch] = field(default_factory=list)
    from_crd: bool = False


def norm(name: str) -> str:
    """A name to join lists by: NFKC, no spaces, no parenthesised English."""
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(r"\s*[\((][^()()]*[\))]\s*$", "", name)
    return re.sub(r"\s+", "", name)


def roman(text: str) -> str:
    """Calil-style romaji for an id: capitalised words run together, long vowels written once."""
    out = re.sub(r"[^A-Za-z0-9]", "", romanize(text)).lower()
    for long, short in (("ou", "o"), ("oo", "o"), ("uu", "u")):
        out = out.replace(long, short)
    return (out[:1].upper() + out[1:])[:48] or "X"


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def category(name: str, kind: str) -> str:
    if kind in UNIVERSITY or "大学" in name:
        return "UNIV"
    if kind in NDL - {"11"} or kind.startswith("4"):
        return "SPECIAL"
    if kind in PUBLIC_PREF or re.search(r"[都道府県]立", name):
        return "LARGE"
    if "移動図書館" in name or "自動車文庫" in name:
        return "BM"
    if re.search(r"公民館|図書室|コミュニティ|文庫|市民センター|地区センター", name):
        return "SMALL"
    return "MEDIUM"


DESIGNATED = [
    "札幌市",
    "仙台市",
    "さいたま市",
    "千葉市",
    "横浜市",
    "川崎市",
    "相模原市",
    "新潟市",
    "静岡市",
    "浜松市",
    "名古屋市",
    "京都市",
    "大阪市",
    "堺市",
    "神戸市",
    "岡山市",
    "広島市",
    "北九州市",
    "福岡市",
    "熊本市",
]
# A municipality written cleanly: a town in its district (郡), a city with its ward, a city, a Tokyo ward.
CLEAN_CITY = re.compile(
    r"(?:[^市区町村郡]{1,5}郡)?[^市区町村郡]{1,7}[町村]|[^区村郡]{1,7}市(?:[^市町村郡]{1,4}区)?|[^市町村郡]{1,4}区"
)


def split_city(place: str, known: set[str]) -> tuple[str, str]:
    """(municipality, the rest) of an address after its prefecture; the list sometimes runs them together."""
    for city in sorted((k for k in known if place.startswith(k)), key=len, reverse=True):
        return city, place[len(city) :]
    for designated in DESIGNATED:
        if place.startswith(designated):
            m = re.match(rf"^{designated}.{{1,4}}?区", place)
            city = m[0] if m else designated
            return city, place[len(city) :]
    m = re.match(r"^[^市]{1,4}郡[^市]{1,5}?[町村]|^.{1,6}?市|^.{1,4}?区|^.{1,6}?[町村]", place)
    city = m[0] if m else place
    return city, place[len(city) :]


def municipality(city: str) -> str:
    """The municipality running a library: a designated city's ward belongs to its city."""
    m = re.match(r"^(.+?市).+区$", city)
    return m[1] if m else city


def city_roman(muni: str) -> str:
    town = re.sub(r"^[^市]+?郡(?=.+[町村]$)", "", muni)  # 中頭郡北谷町 → 北谷町, but 蒲郡市 stays
    return roman(re.sub(r"[市区町村]$", "", town))


def read_wikidata(path: Path) -> dict[str, tuple[float, float]]:
    points = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            m = re.match(r"Point\(([-\d.]+) ([-\d.]+)\)", row["point"] or "")
            if m and row["isil"]:
                points[row["isil"]] = (round(float(m[1]), 7), round(float(m[2]), 7))
    return points


def read_osm(path: Path) -> list[tuple[str, tuple[float, float]]]:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    out = []
    for f in features:
        name = (f["properties"].get("name") or "").strip()
        if name and f["geometry"]["type"] == "Point":
            lon, lat = f["geometry"]["coordinates"][:2]
            out.append((name, (round(lon, 7), round(lat, 7))))
    return out


def unique_key(system: System, key: str) -> str:
    taken = {b.libkey for b in system.branches}
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}{n}", n + 1
    return candidate


def build(source: Path) -> list[System]:
    wikidata = read_wikidata(source / "wikidata_japan_libraries_isil.csv")
    osm = read_osm(source / "osm_japan_library_2013.geojson")
    osm_by_name: dict[str, list[int]] = defaultdict(list)
    for i, (name, _) in enumerate(osm):
        osm_by_name[norm(name)].append(i)
    used_osm: set[int] = set()

    systems: dict[str, System] = {}
    local = System("Tokyo_Demo", "デモ市立図書館", "東京都", "千代田区")
    for libkey, formal, short, address, postcode, geocode, _code in LOCAL_BRANCHES:
        lon, lat = map(float, geocode.split(","))
        local.branches.append(Branch(libkey, formal, short, "MEDIUM", address, postcode, "", (lon, lat)))
    systems[local.systemid] = local

    ids_by_key: dict[tuple[str, str], str] = {}

    def system_for(key: tuple[str, str], systemid: str, name: str, pref: str, city: str) -> System:
        if key in ids_by_key:
            return systems[ids_by_key[key]]
        candidate, n = systemid, 2
        while candidate in systems:
            candidate, n = f"{systemid}{n}", n + 1
        ids_by_key[key] = candidate
        systems[candidate] = System(candidate, name, pref, city, from_crd=True)
        return systems[candidate]

    with (source / "crd_participating_libraries.tsv").open(encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    known: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        m = re.match(r"^\d{3}-\d{4}\s+(\S+?[都道府県])\s+(\S+)", row[5])
        if m and CLEAN_CITY.fullmatch(m[2]):
            known[m[1]].add(m[2])
    for _crd_id, kind_text, _year, names, _kana, place, tel, _fax, isil in rows:
        kind = re.search(r"\((\d+)\)\s*$", kind_text)[1]  # type: ignore[index]
        if kind in SKIPPED:
            continue
        formal, _, short = (s.strip() for s in names.partition(" / "))
        formal = unicodedata.normalize("NFKC", formal).replace(" ", " ").strip()
        short = unicodedata.normalize("NFKC", short or formal).strip()
        m = re.match(r"^(\d{3}-\d{4})\s+(\S+?[都道府県])\s+(\S+)\s*(.*)$", place)
        if not m or m[2] not in PREFS:
            print(f"skipped (address not understood): {formal} {place!r}", file=sys.stderr)
            continue
        postcode, pref = m[1], m[2]
        city, rest = split_city(re.sub(r"\s+", "", unicodedata.normalize("NFKC", m[3] + m[4])), known[pref])
        geocode = wikidata.get(isil)
        if geocode is None:
            for i in osm_by_name.get(norm(formal), []) + osm_by_name.get(norm(short), []):
                if i not in used_osm:
                    geocode = osm[i][1]
                    used_osm.add(i)
                    break
            from_osm = geocode is not None
        else:
            from_osm = False
        muni = municipality(city)
        if kind in PUBLIC_CITY:
            system = system_for(
                ("city", pref + muni), f"{PREFS[pref]}_{city_roman(muni)}", pref + muni, pref, muni
            )
        elif kind in PUBLIC_PREF:
            name = {"東京都": "東京都立図書館", "北海道": "北海道立図書館"}.get(pref, f"{pref}立図書館")
            system = system_for(("pref", pref), f"{PREFS[pref]}_Pref", name, pref, "")
        elif kind in NDL:
            system = system_for(("ndl", ""), "Tokyo_NDL", "国立国会図書館", "東京都", "千代田区")
        elif kind in UNIVERSITY:
            university = re.match(r"^(.*?(?:大学|高等専門学校|短期大学))", formal)
            uname = university[1] if university else short
            system = system_for(
                ("univ", uname), f"Univ_{roman(re.sub('大学$', '', uname))}", uname, pref, city
            )
        else:
            system = system_for(("special", formal), f"Special_{roman(short)}", formal, pref, city)
        if kind in PUBLIC_PREF:
            libkey = re.sub(rf"^{re.escape(pref)}立", "", formal)
        elif kind in PUBLIC_CITY:
            strip = rf"^(市立)?{re.escape(muni)}立?"
            libkey = re.sub(strip, "", short) or re.sub(strip, "", formal) or "図書館"
        else:
            libkey = short
        branch = Branch(
            libkey=unique_key(system, libkey or short),
            formal=formal,
            short=short,
            category="LARGE" if kind == "11" else category(formal, kind),
            address=f"{pref}{city}{rest}",
            postcode=postcode,
            tel=re.sub(r"\s*[((（].*$", "", tel).strip(),
            geocode=geocode,
            isil=isil if re.match(r"^JP-\d{7}$", isil or "") else "",
            city="" if city == system.city else city,
            from_osm=from_osm,
        )
        system.branches.append(branch)

    # OpenStreetMap's libraries run by a municipality already listed, near its other libraries.
    munis = {
        (s.pref, s.city): s for s in systems.values() if s.from_crd and s.city and s.systemid != "Tokyo_NDL"
    }
    by_muni: dict[str, list[System]] = defaultdict(list)
    for (_, muni), s in munis.items():
        by_muni[re.sub(r"^[^市]+?郡(?=.+[町村]$)", "", muni)].append(s)
    for i, (name, point) in enumerate(osm):
        if i in used_osm:
            continue
        clean = norm(name)
        m = re.match(r"^(.{1,6}?[市区町村])立?(.+)$", clean)
        if not m or len(m[1]) < 2 or m[1] not in by_muni:
            continue
        near = [
            s
            for s in by_muni[m[1]]
            if any(b.geocode and haversine_km(b.geocode, point) <= NEAR_KM for b in s.branches)
        ]
        if len(near) != 1:
            continue  # no library of that name nearby to place it by, or two (府中市 in two prefectures)
        system = near[0]
        if any(b.geocode and haversine_km(b.geocode, point) < 0.05 for b in system.branches):
            continue  # the same building under another name
        rest = re.sub(r"^[\s・]+", "", m[2])
        if not re.search(r"図書|ライブラリ|文庫|室", rest):
            continue
        rest = re.sub(r"^図書館(?=.+分館$)", "", rest)  # 松戸市立図書館明分館 → 明分館
        system.branches.append(
            Branch(
                libkey=unique_key(system, rest),
                formal=clean,
                short=rest,
                category=category(clean, ""),
                geocode=point,
                from_osm=True,
            )
        )
        used_osm.add(i)
    return list(systems.values())


def q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def render(systems: list[System]) -> str:
    lines = [
        "# The demo's library registry (docs/libraries.md): this toshokan's branches and real Japanese",
        "# libraries. Made by scripts/make_demo_libraries.py; see data/libraries/PROVENANCE.md.",
        "# Data: NDL's CRD participants list, CC BY 4.0 (© National Diet Library); Wikidata, CC0 1.0;",
        f"# OpenStreetMap: {OSM_ATTRIBUTION}.",
        "# Each system's `attribution` says which of these its data came from; show it wherever that",
        "# data is shown (ODbL and CC BY require it).",
        "",
        "[check]",
        "deadline_s = 10",
    ]
    for s in systems:
        local = s.systemid == "Tokyo_Demo"
        attributions = []
        if s.from_crd:
            attributions.append(CRD_ATTRIBUTION)
        if any(b.from_osm for b in s.branches):
            attributions.append(OSM_ATTRIBUTION)
        if any(b.geocode and not b.from_osm for b in s.branches) and s.from_crd:
            attributions.append(WIKIDATA_ATTRIBUTION)
        lines += [
            "",
            "[[system]]",
            f"systemid = {q(s.systemid)}",
            f"name = {q(s.name)}",
            f"pref = {q(s.pref)}",
        ]
        lines += [f"city = {q(s.city)}", f'connector = "{"local" if local else "calil"}"', "timeout_s = 5"]
        if attributions:
            lines.append(f"attribution = {q('; '.join(attributions))}")
        for i, b in enumerate(s.branches):
            lines += ["  [[system.branch]]", f"  libkey = {q(b.libkey)}", f"  formal = {q(b.formal)}"]
            if b.short != b.formal:
                lines.append(f"  short = {q(b.short)}")
            for name in ("address", "postcode", "tel", "city", "isil"):
                if getattr(b, name):
                    lines.append(f"  {name} = {q(getattr(b, name))}")
            if b.geocode:
                lines.append(f'  geocode = "{b.geocode[0]:.7g},{b.geocode[1]:.7g}"')
            lines.append(f'  category = "{b.category}"')
            if local:
                lines.append(f'  branch = "{LOCAL_BRANCHES[i][6]}"')
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "libraries_jp")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "libraries" / "demo.toml")
    args = parser.parse_args()
    systems = build(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(systems), encoding="utf-8")
    branches = sum(len(s.branches) for s in systems)
    placed = sum(1 for s in systems for b in s.branches if b.geocode)
    osm = sum(1 for s in systems for b in s.branches if b.from_osm)
    print(
        f"{args.out}: {len(systems)} systems, {branches} libraries ({placed} with a geocode, {osm} from OSM)"
    )


if __name__ == "__main__":
    main()
