"""Demo staff sign-in (demo only: the TOTP secrets are public, in demo/credentials.json and
docs/demo.md): each demo staff account gets the authenticator secret listed for it, so a person
can add it to an authenticator app and sign in; the self-check device account for the SIP2 server
is made and marked as a device."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from . import crypto
from .models import AccountKind, StaffProfile, TotpDevice

CREDENTIALS = Path(settings.BASE_DIR) / "demo" / "credentials.json"


def demo_fingerprint() -> str:
    return hashlib.sha256(CREDENTIALS.read_bytes()).hexdigest()[:16]


def load(progress: Callable[[str], None]) -> None:
    data = json.loads(CREDENTIALS.read_text(encoding="utf-8"))
    User = get_user_model()
    enrolled = []
    for entry in data.get("staff", []):
        secret = entry.get("totp_secret")
        user = User.objects.filter(username=entry["username"]).first()
        if not secret or user is None:
            continue
        device = TotpDevice.objects.filter(user=user).first()
        try:
            same = device is not None and crypto.decrypt(device.encrypted_secret) == secret
        except InvalidToken:  # kept under another SECRET_KEY
            same = False
        if not same:
            TotpDevice.objects.update_or_create(
                user=user,
                defaults={
                    "encrypted_secret": crypto.encrypt(secret),
                    "last_step": 0,
                    "confirmed_at": timezone.now(),
                },
            )
        enrolled.append(user.get_username())
    devices = []
    for entry in data.get("selfcheck_devices", []):
        user, _ = User.objects.get_or_create(username=entry["username"])
        user.is_staff = True  # the SIP2 server takes staff accounts; the kind keeps it off the pages
        user.is_superuser = False
        user.set_password(entry["password"])
        user.save()
        user.groups.clear()
        StaffProfile.objects.update_or_create(user=user, defaults={"kind": AccountKind.SELFCHECK})
        devices.append(user.get_username())
    progress(f"staff second factor: TOTP for {', '.join(enrolled)}; self-check devices: {', '.join(devices)}")
