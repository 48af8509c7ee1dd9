"""Models of toshokan.identity: one-time challenges, and which card certificates belong to which patron.

Only what membership needs is kept (docs/jpki.md): a certificate's kind, issuer, serial and expiry,
linked to a patron, with the day the link began and ended. Not the certificate itself, not the
基本4情報 (the patron record keeps the name, address and date of birth it needs; sex is not kept),
and never the Individual Number, which the certificates do not carry and toshokan never asks for.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from toshokan.patrons.models import Patron


class ChallengePurpose(models.TextChoices):
    REGISTER = "register", "登録 (registration)"
    LOGIN = "login", "ログイン (login)"
    LINK = "link", "証明書の紐付け (linking a certificate)"


class Challenge(models.Model):
    """A server nonce for the card to sign: used once, within NONCE_TTL_S.

    Only a SHA-256 hash of the nonce is kept, so this table cannot be used to answer a challenge.
    It is consumed by one conditional UPDATE (services.consume_challenge), so two requests carrying
    the same signed nonce cannot both succeed.
    """

    nonce_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=ChallengePurpose.choices)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "JPKIチャレンジ"
        verbose_name_plural = "JPKIチャレンジ"

    def __str__(self) -> str:
        return f"{self.purpose} {self.nonce_hash[:8]}…"


class CertificateKind(models.TextChoices):
    SIGN = "sign", "署名用電子証明書"
    AUTH = "auth", "利用者証明用電子証明書"


class LinkEnd(models.TextChoices):
    RENEWED = "renewed", "更新 (a new certificate was linked)"
    REVOKED = "revoked", "失効"
    UNLINKED = "unlinked", "解除"


class CertificateLink(models.Model):
    """A My Number card certificate linked to a patron (as Niigata Prefectural Library links the
    certificate serial to the library number). Ended links are kept with their end date."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="jpki_links")
    kind = models.CharField(max_length=8, choices=CertificateKind.choices)
    issuer = models.CharField(max_length=500)
    serial = models.CharField(max_length=64)  # decimal; X.509 serials reach 20 octets
    not_after = models.DateTimeField()
    linked_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=LinkEnd.choices, blank=True)

    class Meta:
        verbose_name = "電子証明書の紐付け"
        verbose_name_plural = "電子証明書の紐付け"
        constraints = [
            # A certificate belongs to one patron at a time, and a patron has one open link per kind.
            models.UniqueConstraint(
                fields=["kind", "issuer", "serial"],
                condition=Q(ended_at__isnull=True),
                name="jpki_cert_open_once",
            ),
            models.UniqueConstraint(
                fields=["patron", "kind"],
                condition=Q(ended_at__isnull=True),
                name="jpki_patron_one_open_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "serial"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.serial} → {self.patron_id}"
