"""What a notice is about and how far it got.

The five kinds are the ones Japanese public libraries send (予約資料のご用意, 返却期限のお知らせ,
延滞のお知らせ, 取置期限切れ, 登録更新のお知らせ). The statuses are defined in docs/notices.md; in
short: *queued* — written to the patron's log, waiting for the background worker; *sent* — handed
to a mail backend that gives no answer per recipient (the console or file backends of a developer's
machine); *delivered* — in the patron's account (channel "account"), or, for e-mail, accepted by
the SMTP server for the recipient (250 to RCPT TO and to the end of DATA: the server has taken
responsibility for it); *failed* — not accepted, with the error.
"""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    HOLD_READY = "hold_ready"  # 予約資料のご用意
    DUE_SOON = "due_soon"  # 返却期限のお知らせ
    OVERDUE = "overdue"  # 延滞のお知らせ
    HOLD_EXPIRED = "hold_expired"  # 取置期限切れ・予約の期限切れ
    REGISTRATION_EXPIRING = "registration_expiring"  # 登録更新のお知らせ

    @property
    def label_ja(self) -> str:
        return {
            "hold_ready": "予約資料のご用意",
            "due_soon": "返却期限のお知らせ",
            "overdue": "延滞のお知らせ",
            "hold_expired": "予約の期限切れ",
            "registration_expiring": "登録更新のお知らせ",
        }[self.value]

    @property
    def label_en(self) -> str:
        return {
            "hold_ready": "Your hold is ready",
            "due_soon": "Items due soon",
            "overdue": "Overdue items",
            "hold_expired": "Hold expired",
            "registration_expiring": "Your registration is expiring",
        }[self.value]


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def label_ja(self) -> str:
        return {"queued": "送信待ち", "sent": "送信済み", "delivered": "配信済み", "failed": "送信失敗"}[
            self.value
        ]
