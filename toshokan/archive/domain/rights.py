"""Rights statements an archive item may carry: 二次利用条件 for its metadata, thumbnails and content.

Japan Search (ジャパンサーチ 利活用フレームワーク) and JPCOAR (`dc:rights` with `rdf:resource`) both ask for a
machine-readable statement, and IIIF's `rights` must be "a single URI from Creative Commons,
RightsStatements.org or URIs registered as extensions". So a rights value here is exactly one URI from
the known list below — the twelve RightsStatements.org statements (version 1.0) and the Creative Commons
licences and public-domain tools (4.0, and CC0 1.0 / PDM 1.0) — written in its canonical form (http, with
the trailing slash). Anything else is refused with a message naming the accepted forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RightsError(ValueError):
    """A value that is not one of the known rights statement or licence URIs."""


@dataclass(frozen=True)
class Rights:
    uri: str
    code: str  # e.g. "CC BY 4.0", "InC"
    label_ja: str
    reusable: bool  # may be reused freely (with credit where the licence asks)


_RS = "http://rightsstatements.org/vocab/{}/1.0/"
_CC = "http://creativecommons.org/licenses/{}/4.0/"

KNOWN: tuple[Rights, ...] = (
    Rights(
        "http://creativecommons.org/publicdomain/zero/1.0/",
        "CC0 1.0",
        "パブリック・ドメイン提供（CC0）",
        True,
    ),
    Rights(
        "http://creativecommons.org/publicdomain/mark/1.0/", "PDM 1.0", "パブリック・ドメイン（PDM）", True
    ),
    Rights(_CC.format("by"), "CC BY 4.0", "クリエイティブ・コモンズ 表示", True),
    Rights(_CC.format("by-sa"), "CC BY-SA 4.0", "表示—継承", True),
    Rights(_CC.format("by-nd"), "CC BY-ND 4.0", "表示—改変禁止", False),
    Rights(_CC.format("by-nc"), "CC BY-NC 4.0", "表示—非営利", False),
    Rights(_CC.format("by-nc-sa"), "CC BY-NC-SA 4.0", "表示—非営利—継承", False),
    Rights(_CC.format("by-nc-nd"), "CC BY-NC-ND 4.0", "表示—非営利—改変禁止", False),
    Rights(_RS.format("InC"), "InC", "著作権あり", False),
    Rights(_RS.format("InC-OW-EU"), "InC-OW-EU", "著作権あり（EU孤児著作物）", False),
    Rights(_RS.format("InC-EDU"), "InC-EDU", "著作権あり（教育目的の利用可）", False),
    Rights(_RS.format("InC-NC"), "InC-NC", "著作権あり（非営利目的の利用可）", False),
    Rights(_RS.format("InC-RUU"), "InC-RUU", "著作権あり（権利者不明）", False),
    Rights(_RS.format("NoC-CR"), "NoC-CR", "著作権なし（契約上の制限あり）", False),
    Rights(_RS.format("NoC-NC"), "NoC-NC", "著作権なし（非営利利用のみ）", False),
    Rights(_RS.format("NoC-OKLR"), "NoC-OKLR", "著作権なし（その他の法的制限あり）", False),
    Rights(_RS.format("NoC-US"), "NoC-US", "著作権なし（米国内）", False),
    Rights(_RS.format("CNE"), "CNE", "著作権未評価", False),
    Rights(_RS.format("UND"), "UND", "著作権不明", False),
    Rights(_RS.format("NKC"), "NKC", "既知の著作権なし", True),
)
BY_URI: dict[str, Rights] = {r.uri: r for r in KNOWN}


class CommonRights(StrEnum):
    """The statements a curator picks most often (defaults and the demo)."""

    PUBLIC_DOMAIN_MARK = "http://creativecommons.org/publicdomain/mark/1.0/"
    CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
    CC_BY = "http://creativecommons.org/licenses/by/4.0/"
    IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"
    NOT_EVALUATED = "http://rightsstatements.org/vocab/CNE/1.0/"


def canonical_rights(value: str) -> str:
    """The canonical form of a rights URI: https → http, a missing trailing slash added (both are how
    people paste them from the web); unknown URIs raise RightsError."""
    uri = value.strip()
    if uri.startswith("https://"):
        uri = "http://" + uri.removeprefix("https://")
    if uri and not uri.endswith("/"):
        uri += "/"
    if uri not in BY_URI:
        raise RightsError(
            f"{value!r} is not a known rights statement: use a RightsStatements.org 1.0 URI "
            "(http://rightsstatements.org/vocab/InC/1.0/ …) or a Creative Commons licence or tool URI "
            "(http://creativecommons.org/licenses/by/4.0/, …/publicdomain/zero/1.0/, …/publicdomain/mark/1.0/)"
        )
    return uri


def choices() -> list[tuple[str, str]]:
    return [(r.uri, f"{r.code} — {r.label_ja}") for r in KNOWN]
