"""What the patron pages show, worked out from what the selectors return.

No reads of their own beyond the catalogue's selectors and no rules: availability comes from
`catalog.schemas` exactly as the JSON API reports it; this module only picks labels in the page's
language, groups holdings by branch and builds the links a search page needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from toshokan.catalog import selectors as catalog_selectors
from toshokan.catalog.domain.enums import HoldingStatus, IdentifierScheme
from toshokan.catalog.domain.identifiers import isbn10
from toshokan.catalog.models import Branch, Record
from toshokan.catalog.schemas import record_summary
from toshokan.search.domain.query import Sort
from toshokan.search.selectors import SearchPage

from . import labels
from .params import MAX_PAGE, PAGE_SIZE, SearchState

FACET_VISIBLE = 8


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


def branch_name(branch: Branch) -> str:
    return branch.name_en if _english() and branch.name_en else branch.name


# ISO 639-2/B (the catalogue) → BCP 47 (the lang attribute), so that a screen reader reads a Japanese
# title in Japanese on the English pages and an English title in English on the Japanese ones.
_BCP47 = {
    "jpn": "ja", "eng": "en", "chi": "zh", "kor": "ko", "ger": "de", "fre": "fr", "spa": "es", "ita": "it",
    "rus": "ru", "lat": "la", "por": "pt", "ara": "ar", "heb": "he", "per": "fa", "urd": "ur", "tib": "bo",
    "san": "sa",
}  # fmt: skip


def content_lang(code: str) -> str:
    return _BCP47.get(code, "")


def _dom_id(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in parts)


# Availability, as the API's `availability.status` reports it -----------------------------------

AVAILABILITY_BADGE = {
    "available": ("available", gettext_noop("貸出可")),
    "on_loan": ("on-loan", gettext_noop("貸出中")),
    "unavailable": ("unavailable", gettext_noop("いま貸出できません")),
    "none": ("none", gettext_noop("所蔵なし")),
}


def availability_badges(availability: dict[str, object]) -> list[dict[str, str]]:
    """Badges for a result: the print copies' state, and whether it can be read online.

    A work that has no copy but can be read online shows only the online badge: for it,
    "所蔵なし" would read as "you cannot have this", which is wrong.
    """
    badges = []
    status = str(availability["status"])
    online = bool(availability["online"])
    if not (status == "none" and online):
        css, label = AVAILABILITY_BADGE.get(status, AVAILABILITY_BADGE["none"])
        badges.append({"css": css, "label": gettext(label)})
    if online:
        badges.append({"css": "online", "label": gettext("オンラインで読める")})
    return badges


# Search results ------------------------------------------------------------------------------


def _ndc_display(ndc: str, found: dict[str, tuple[str, str, str]]) -> dict[str, str] | None:
    if not ndc:
        return None
    hit = found.get(ndc)
    return {
        "notation": ndc,
        "label": labels.ndc_label_text(hit[1], hit[2]) if hit else "",
        "class_notation": hit[0] if hit else ndc,
    }


def _creators(summary: dict[str, object]) -> list[dict[str, str]]:
    return [
        {
            "name": c["name"],
            "reading": c["reading"].strip(),
            "role": c["role"],
            "role_label": labels.role_label(c["role"]),
        }
        for c in summary["creators"]  # type: ignore[attr-defined]
    ]


def result_items(records: Iterable[Record], back: str) -> list[dict[str, object]]:
    records = list(records)
    found = catalog_selectors.ndc_labels(r.ndc for r in records)
    suffix = f"?{urlencode({'back': back})}" if back else ""
    items = []
    for record in records:
        summary = record_summary(record)
        items.append(
            {
                "id": record.pk,
                "lang": content_lang(record.language),
                "url": reverse("portal:record", args=[record.pk]) + suffix,
                "title": record.title,
                "subtitle": record.subtitle,
                "reading": str(summary["title_reading"]).strip(),
                "creators": _creators(summary),
                "year": record.year,
                "publisher": record.publisher,
                "ndc": _ndc_display(record.ndc, found),
                "material": labels.material_label(record.material_type),
                "badges": availability_badges(summary["availability"]),  # type: ignore[arg-type]
            }
        )
    return items


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None
    checked: bool
    url: str
    dom_id: str


@dataclass
class FacetGroup:
    name: str
    legend: str
    options: list[FacetOption] = field(default_factory=list)

    @property
    def visible(self) -> list[FacetOption]:
        return self.options[:FACET_VISIBLE]

    @property
    def more(self) -> list[FacetOption]:
        return self.options[FACET_VISIBLE:]


def _group(
    state: SearchState, name: str, legend: str, counts: dict[str, int], label_of: dict[str, str]
) -> FacetGroup:
    selected: tuple[str, ...] = getattr(state, name)
    values = sorted(counts, key=lambda v: (-counts[v], v))
    values = [v for v in selected if v not in counts] + values
    group = FacetGroup(name=name, legend=legend)
    for value in values:
        group.options.append(
            FacetOption(
                value=value,
                label=label_of.get(value, value),
                count=counts.get(value),
                checked=value in selected,
                url=state.toggled(name, value).url(),
                dom_id=_dom_id("f", name, value),
            )
        )
    return group


def _ndc_classes() -> dict[str, str]:
    found = catalog_selectors.ndc_labels(str(d) for d in range(10))
    return {
        ndc: labels.ndc_label_text(ja, en) for ndc, (notation, ja, en) in found.items() if notation == ndc
    }


def facet_groups(state: SearchState, facets: dict[str, dict[str, int]]) -> list[FacetGroup]:
    classes = _ndc_classes()
    ndc_group = _group(state, "ndc", gettext("分類（NDC）"), facets.get("ndc", {}), {})
    for option in ndc_group.options:
        label = classes.get(option.value[:1], "") if len(option.value) == 1 else ""
        option.label = f"{option.value} {label}".strip()
    ndc_group.options.sort(key=lambda o: o.value)

    branches = {b.code: branch_name(b) for b in catalog_selectors.branches()}
    materials = {v: labels.material_label(v) for v in facets.get("material_type", {})} | {
        v: labels.material_label(v) for v in state.material_type
    }
    languages = {v: labels.language_label(v) for v in (*facets.get("language", {}), *state.language)}
    groups = [
        ndc_group,
        _group(state, "material_type", gettext("資料の種類"), facets.get("material_type", {}), materials),
        _group(state, "branch", gettext("所蔵館"), facets.get("branch", {}), branches),
        _group(state, "language", gettext("言語"), facets.get("language", {}), languages),
    ]
    return [g for g in groups if g.options]


def decade_options(state: SearchState, facets: dict[str, dict[str, int]]) -> list[FacetOption]:
    counts = facets.get("decade", {})
    out = []
    for raw in sorted(counts, key=lambda d: int(d) if d.lstrip("-").isdigit() else 0):
        if not raw.lstrip("-").isdigit():
            continue
        start = int(raw)
        chosen = state.year_from == start and state.year_to == start + 9
        target = (
            state.changed(year_from=None, year_to=None)
            if chosen
            else state.changed(year_from=start, year_to=start + 9)
        )
        out.append(
            FacetOption(
                value=raw,
                label=gettext("%(decade)s年代") % {"decade": start},
                count=counts[raw],
                checked=chosen,
                url=target.url(),
                dom_id=_dom_id("decade", raw),
            )
        )
    return out


def active_filters(state: SearchState) -> list[dict[str, str]]:
    """The filters in force, each with a link that removes it."""
    classes = _ndc_classes()
    branches = {b.code: branch_name(b) for b in catalog_selectors.branches()}
    chips: list[dict[str, str]] = []
    for value in state.ndc:
        label = f"{value} {classes.get(value, '')}".strip() if len(value) == 1 else value
        chips.append(
            {"label": gettext("分類 %(ndc)s") % {"ndc": label}, "url": state.toggled("ndc", value).url()}
        )
    for value in state.material_type:
        chips.append(
            {"label": labels.material_label(value), "url": state.toggled("material_type", value).url()}
        )
    for value in state.branch:
        chips.append({"label": branches.get(value, value), "url": state.toggled("branch", value).url()})
    for value in state.language:
        chips.append({"label": labels.language_label(value), "url": state.toggled("language", value).url()})
    if state.year_from is not None or state.year_to is not None:
        chips.append(
            {"label": year_range_label(state), "url": state.changed(year_from=None, year_to=None).url()}
        )
    if state.available:
        chips.append({"label": gettext("いま借りられる"), "url": state.changed(available=False).url()})
    if state.online:
        chips.append({"label": gettext("オンラインで読める"), "url": state.changed(online=False).url()})
    return chips


def year_range_label(state: SearchState) -> str:
    if state.year_from is not None and state.year_to is not None:
        return gettext("%(start)s年〜%(end)s年") % {"start": state.year_from, "end": state.year_to}
    if state.year_from is not None:
        return gettext("%(start)s年以降") % {"start": state.year_from}
    return gettext("%(end)s年以前") % {"end": state.year_to}


SORT_CHOICES = (
    (Sort.RELEVANCE, gettext_noop("関連度順")),
    (Sort.READING, gettext_noop("五十音順")),
    (Sort.YEAR_DESC, gettext_noop("出版年の新しい順")),
    (Sort.YEAR_ASC, gettext_noop("出版年の古い順")),
)


def sort_choices(state: SearchState) -> list[dict[str, object]]:
    # With no words to rank by, the engine lists by reading; say so rather than claim relevance.
    current = Sort.READING if state.sort is Sort.RELEVANCE and not state.has_query else state.sort
    return [
        {"value": value.value, "label": gettext(label), "selected": value is current}
        for value, label in SORT_CHOICES
        if value is not Sort.RELEVANCE or state.has_query
    ]


def pagination(state: SearchState, total: int) -> dict[str, object] | None:
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    pages = min(pages, MAX_PAGE)
    if pages <= 1:
        return None
    current = min(state.page, pages)
    window = sorted({1, pages, *range(max(current - 2, 1), min(current + 2, pages) + 1)})
    links: list[dict[str, object]] = []
    previous = 0
    for number in window:
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {"number": number, "url": state.changed(page=number).url(), "current": number == current}
        )
        previous = number
    return {
        "links": links,
        "previous": state.changed(page=current - 1).url() if current > 1 else None,
        "next": state.changed(page=current + 1).url() if current < pages else None,
        "pages": pages,
        "current": current,
    }


def result_range(state: SearchState, total: int, shown: int) -> dict[str, int]:
    first = state.offset + 1 if shown else 0
    return {"first": first, "last": state.offset + shown, "total": total}


def _count_text(n: int) -> str:
    return ngettext("%(count)s件", "%(count)s件", n) % {"count": f"{n:,}"}


def search_context(
    state: SearchState, page: SearchPage | None, unfiltered_total: int | None
) -> dict[str, object]:
    """Everything the search template needs, for a page of results or for the bare page."""
    from .templatetags.portal import library_name

    ctx: dict[str, object] = {
        "state": state,
        "canonical_url": state.url(),
        "sort_choices": sort_choices(state),
        "chips": active_filters(state),
        "without_filters_url": state.without_filters().url(),
        "unfiltered_total": unfiltered_total,
        "page_title": f"{gettext('蔵書検索')} — {library_name()}",
        "status_message": "",
    }
    if page is None:
        return ctx
    facets = page.facets
    total_text = _count_text(page.total)
    if state.has_query:
        heading = gettext("「%(q)s」の検索結果") % {"q": state.q}
        status = gettext("「%(q)s」の検索結果は%(total)sです。") % {"q": state.q, "total": total_text}
    else:
        heading = gettext("資料の一覧")
        status = gettext("%(total)sの資料があります。") % {"total": total_text}
    ctx.update(
        {
            "page": page,
            "total": page.total,
            "total_text": total_text,
            "results": result_items(page.records, state.query_string()),
            "facet_groups": facet_groups(state, facets),
            "decades": decade_options(state, facets),
            "online_count": facets.get("online", {}).get("1"),
            "pagination": pagination(state, page.total),
            "range": result_range(state, page.total, len(page.records)),
            "results_heading": heading,
            "status_message": status,
            "page_title": gettext("%(heading)s（%(total)s）") % {"heading": heading, "total": total_text}
            + f" — {library_name()}",
        }
    )
    return ctx


def browse_context(page: SearchPage) -> dict[str, object]:
    """The bare page: the size of the collection and the ten classes of NDC to start from."""
    classes = _ndc_classes()
    counts = page.facets.get("ndc", {})
    start = SearchState()
    return {
        "collection_total": page.total,
        "collection_total_text": f"{page.total:,}",
        "browse_classes": [
            {
                "notation": str(d),
                "label": classes.get(str(d), ""),
                "count": counts.get(str(d), 0),
                "url": start.changed(ndc=(str(d),)).url(),
            }
            for d in range(10)
            if counts.get(str(d))
        ],
        "examples": [
            {"q": q, "url": start.changed(q=q).url()} for q in ("漱石 こころ", "ねこ", "soseki", "宮沢賢治")
        ],
    }


# The record page -----------------------------------------------------------------------------

AOZORA_CARD = "https://www.aozora.gr.jp/cards/{person}/card{work}.html"
AOZORA_EXTRA = (  # Aozora's own column → what the record page calls it
    ("底本名1", gettext_noop("底本")),
    ("底本出版社名1", gettext_noop("底本の出版社")),
    ("底本初版発行年1", gettext_noop("底本の初版発行年")),
    ("文字遣い種別", gettext_noop("文字遣い")),
    ("入力者", gettext_noop("入力")),
    ("校正者", gettext_noop("校正")),
    ("公開日", gettext_noop("青空文庫での公開日")),
)


def aozora_card_url(record: Record, work_id: str) -> str:
    """The work's 図書カード on aozora.gr.jp (the catalogue gives it; else built from the author's id)."""
    if "aozora.gr.jp/cards/" in record.etext_url:
        return record.etext_url
    for link in record.record_creators.all():
        authority = link.creator.authority_id
        if authority.startswith("aozora:"):
            return AOZORA_CARD.format(person=authority.removeprefix("aozora:"), work=int(work_id))
    return ""


def identifier_rows(record: Record) -> list[dict[str, str]]:
    rows = []
    for ident in record.identifiers.all():
        row = {
            "scheme": ident.scheme,
            "label": ident.scheme.upper(),
            "value": ident.value,
            "url": "",
            "note": "",
        }
        if ident.scheme == IdentifierScheme.ISBN:
            row["label"] = "ISBN"
            ten = isbn10(ident.value)
            row["note"] = gettext("ISBN-10: %(isbn)s") % {"isbn": ten} if ten else ""
        elif ident.scheme == IdentifierScheme.AOZORA:
            row["label"] = gettext("青空文庫 作品ID")
            row["url"] = aozora_card_url(record, ident.value)
        elif ident.scheme == IdentifierScheme.NDL:
            row["label"] = gettext("国立国会図書館 書誌ID")
        elif ident.scheme == IdentifierScheme.JPNO:
            row["label"] = gettext("全国書誌番号")
        elif ident.scheme == IdentifierScheme.LOCAL:
            row["label"] = gettext("管理番号")
        if ident.qualifier:
            row["note"] = f"{row['note']} ({ident.qualifier})".strip()
        rows.append(row)
    return rows


def holding_groups(record: Record) -> list[dict[str, object]]:
    """Copies grouped per branch, in the branches' own order (the selector sorts them)."""
    groups: list[dict[str, object]] = []
    by_code: dict[str, dict[str, object]] = {}
    for holding in record.holdings.all():
        group = by_code.get(holding.branch.code)
        if group is None:
            group = {
                "code": holding.branch.code,
                "name": branch_name(holding.branch),
                "copies": [],
                "available": 0,
            }
            by_code[holding.branch.code] = group
            groups.append(group)
        available = holding.status == HoldingStatus.AVAILABLE
        group["copies"].append(  # type: ignore[attr-defined]
            {
                "barcode": holding.barcode,
                "shelf_mark": holding.shelf_mark,
                "location": holding.location,
                "status": holding.status,
                "status_label": labels.status_label(holding.status),
                "css": "available" if available else holding.status.replace("_", "-"),
            }
        )
        group["available"] = int(group["available"]) + available  # type: ignore[call-overload]
    return groups


def _as_given(as_given: str, name: str) -> str:
    """The heading as the record wrote it, when it says more than the name and dates do."""
    if not as_given or re.sub(r"\W", "", as_given).startswith(re.sub(r"\W", "", name)):
        return ""
    return as_given


# Subject schemes whose terms are English (MARC 6XX second indicator 0/1/2/3/5 and $2 codes).
_ENGLISH_SUBJECT_SCHEMES = {"lcsh", "lcshac", "mesh", "nal", "cash", "fast", "aat", "lcgft", "gnd-en"}


def record_context(record: Record, back: str) -> dict[str, object]:
    summary = record_summary(record)
    found = catalog_selectors.ndc_labels([record.ndc])
    back_url = reverse("portal:search")
    if back:
        back_url += "?" + QueryDict(back).urlencode()
    creators = [
        {
            "name": link.creator.name,
            "reading": (link.creator.reading or link.creator.reading_auto).strip(),
            "romanized": (link.creator.romanized or link.creator.romanized_auto).strip(),
            "dates": link.creator.dates,
            "role_label": labels.role_label(link.role),
            "search_url": SearchState(q=link.creator.name).url(),
            "as_given": _as_given(link.name_as_given, link.creator.name),
        }
        for link in record.record_creators.all()
    ]
    aozora = [
        {"label": gettext(label), "value": record.extra[key]}
        for key, label in AOZORA_EXTRA
        if record.source == "aozora" and record.extra.get(key)
    ]
    ndc = _ndc_display(record.ndc, found)
    return {
        "record": record,
        "lang": content_lang(record.language),
        "reading": str(summary["title_reading"]).strip(),
        "romanized": (record.title_romanized or record.title_romanized_auto).strip(),
        "creators": creators,
        "ndc": ndc,
        "ndc_url": SearchState(ndc=("".join(c for c in record.ndc if c.isdigit())[:3],)).url()
        if record.ndc
        else "",
        "subjects": [{"term": s.term, "url": SearchState(q=s.term).url()} for s in record.subjects.all()],
        "language_label": labels.language_label(record.language),
        "material_label": labels.material_label(record.material_type),
        "identifiers": identifier_rows(record),
        "holding_groups": holding_groups(record),
        "badges": availability_badges(summary["availability"]),  # type: ignore[arg-type]
        "aozora": aozora,
        "notes": [line for line in record.notes.splitlines() if line.strip()],
        "back_url": back_url,
        "has_back": bool(back),
    }
