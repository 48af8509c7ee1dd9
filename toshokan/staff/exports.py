"""Pages for the two-approver export of a named patron's reading record (令状による提出).

Thin views over toshokan.circulation.record_exports, which holds the rules and writes the audit
log (docs/audit.md). Requesting, deciding and downloading each need a recent confirmation of the
password and second factor (toshokan.staff.reauth): a session left open at the desk cannot be
used to take a patron's reading record. The list and the detail pages show only what the
request says (the card number, the reason, who and when), never the record itself.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from toshokan.circulation import record_exports
from toshokan.circulation.desk import staff_view
from toshokan.circulation.domain.record_export import ExportState
from toshokan.circulation.models import ReadingRecordExport
from toshokan.core import audit
from toshokan.core.domain import DomainError

from .reauth import require_recent_authentication

# The states' labels (ExportState.label_ja), named only at run time, listed for makemessages.
STATE_LABELS_JA = (
    gettext_noop("承認待ち"),
    gettext_noop("承認済み"),
    gettext_noop("却下"),
    gettext_noop("ダウンロード済み"),
)


class RequestForm(forms.Form):
    card_number = forms.CharField(label=gettext_lazy("利用者番号"), max_length=32)
    reason = forms.CharField(
        label=gettext_lazy("理由 (令状の番号、発付した裁判所、請求した機関)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    note = forms.CharField(
        label=gettext_lazy("承認・却下の理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


def _by(request: HttpRequest) -> audit.By:
    return audit.by_request(request, audit.Via.DESK)


def _may_use(user: Any) -> bool:
    return bool(
        user.has_perm(record_exports.REQUEST_PERMISSION) or user.has_perm(record_exports.APPROVE_PERMISSION)
    )


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "circulation/desk/forbidden.html",
        {"perms": (record_exports.REQUEST_PERMISSION,)},
        status=403,
    )


def _row(export: ReadingRecordExport, user: Any) -> dict[str, Any]:
    now = timezone.now()
    expired = record_exports.is_expired(export, now)
    state = ExportState(export.state)
    return {
        "export": export,
        "state_label": _(state.label_ja) if not expired else _("期限切れ"),
        "expired": expired,
        "expires_at": record_exports.expires_at(export),
        "can_decide": (
            state == ExportState.PENDING
            and not expired
            and user.has_perm(record_exports.APPROVE_PERMISSION)
            and export.requested_by_id != user.pk
        ),
        "own_pending": state == ExportState.PENDING and export.requested_by_id == user.pk,
        "can_download": state == ExportState.APPROVED and not expired and export.requested_by_id == user.pk,
    }


@staff_view()
def exports(request: HttpRequest) -> HttpResponse:
    """The requests this member of staff made and, for approvers, everyone's."""
    if not _may_use(request.user):
        return _forbidden(request)
    rows = [_row(e, request.user) for e in record_exports.exports_for(request.user)[:200]]
    windows = record_exports.windows()
    return render(
        request,
        "staff/exports/list.html",
        {
            "rows": rows,
            "can_request": request.user.has_perm(record_exports.REQUEST_PERMISSION),
            "approval_days": f"{windows.approval.total_seconds() / 86400:g}",
            "download_hours": f"{windows.download.total_seconds() / 3600:g}",
        },
    )


@staff_view(record_exports.REQUEST_PERMISSION)
@require_recent_authentication()
def new_export(request: HttpRequest) -> HttpResponse:
    """Step 1: the request, with the warrant's particulars as the reason."""
    form = RequestForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            export = record_exports.request_export(
                card_number=form.cleaned_data["card_number"],
                reason=form.cleaned_data["reason"],
                by_user=request.user,
                by=_by(request),
            )
        except DomainError as exc:
            error = str(exc)
        else:
            messages.success(request, _("申請しました。別の職員 (管理者) の承認を待ってください"))
            return redirect("staff:export", export_id=export.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/exports/new.html", {"form": form, "error": error}, status=status)


@staff_view()
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    if not _may_use(request.user):
        return _forbidden(request)
    export = record_exports.export_by_id(export_id, request.user)
    if export is None:
        return render(request, "circulation/desk/not_found.html", {}, status=404)
    return render(
        request,
        "staff/exports/detail.html",
        {"row": _row(export, request.user), "form": DecisionForm()},
    )


@require_POST
@staff_view(record_exports.APPROVE_PERMISSION)
@require_recent_authentication()
def decide(request: HttpRequest, export_id: int) -> HttpResponse:
    """Step 2: another member of staff approves or refuses, with a note."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("承認か却下かを選んでください"))
        return redirect("staff:export", export_id=export_id)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        record_exports.decide_export(
            export_id=export_id,
            approve=approve,
            note=form.cleaned_data["note"],
            by_user=request.user,
            by=_by(request),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("承認しました") if approve else _("却下しました"))
    return redirect("staff:export", export_id=export_id)


@require_POST
@staff_view(record_exports.REQUEST_PERMISSION)
@require_recent_authentication()
def download(request: HttpRequest, export_id: int) -> HttpResponse:
    """Step 3: the requester's one download (a ZIP of CSV files and one JSON document)."""
    try:
        file = record_exports.download_export(export_id=export_id, by_user=request.user, by=_by(request))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("staff:export", export_id=export_id)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
