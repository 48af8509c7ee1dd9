"""Passkeys (WebAuthn credentials) of patrons and staff, and the random user handle of each account.

A credential belongs to exactly one account: a patron or a staff user (a check constraint). What is
kept is what the WebAuthn ceremonies need (Web Authentication Level 3, §7: the credential id, its
public key, the signature counter, the transports, the authenticator's AAGUID and backup flags)
and what the owner needs to tell their passkeys apart (a name, when it was added and last used).
Nothing here says what the patron borrowed or read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from toshokan.patrons.models import Patron

_ONE_OWNER = Q(patron__isnull=False, user__isnull=True) | Q(patron__isnull=True, user__isnull=False)


class UserHandle(models.Model):
    """The WebAuthn user handle (user.id) of one account: 32 random bytes, base64url.

    Never the card number or the user id: the handle is stored on the authenticator and comes back
    with every assertion, so it must say nothing about the person (WebAuthn §14.6.1)."""

    handle = models.CharField(max_length=64, unique=True)
    patron = models.OneToOneField(
        Patron, on_delete=models.CASCADE, null=True, blank=True, related_name="passkey_handle"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="passkey_handle",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "パスキーのユーザーハンドル"
        verbose_name_plural = "パスキーのユーザーハンドル"
        constraints = [models.CheckConstraint(condition=_ONE_OWNER, name="passkey_handle_one_owner")]

    def __str__(self) -> str:
        return self.handle


class Passkey(models.Model):
    """One registered WebAuthn credential (a passkey) of a patron or a staff user."""

    patron = models.ForeignKey(
        Patron, on_delete=models.CASCADE, null=True, blank=True, related_name="passkeys"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="passkeys"
    )
    # base64url of the raw credential id (at most 1023 bytes, WebAuthn §5.1: 1364 characters).
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()  # COSE_Key, as the attestation carried it
    # The authenticator's signature counter (unsigned 32 bits; 0 when it keeps none).
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backup_eligible = models.BooleanField(default=False)
    backed_up = models.BooleanField(default=False)
    name = models.CharField("名前", max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "パスキー"
        verbose_name_plural = "パスキー"
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=_ONE_OWNER, name="passkey_one_owner")]

    def __str__(self) -> str:
        return self.name
