"""Demo staff accounts (demo only: the passwords are public, in docs/demo.md and demo/credentials.json)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

CREDENTIALS = Path(settings.BASE_DIR) / "demo" / "credentials.json"

# role → (is_superuser, permissions by app label)
ROLES = {
    "admin": (True, []),
    "cataloguer": (False, ["catalog"]),
}


def demo_fingerprint() -> str:
    return hashlib.sha256(CREDENTIALS.read_bytes()).hexdigest()[:16]


def load(progress: Callable[[str], None]) -> None:
    data = json.loads(CREDENTIALS.read_text(encoding="utf-8"))
    User = get_user_model()
    for role, (_superuser, apps) in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        if apps:
            group.permissions.set(Permission.objects.filter(content_type__app_label__in=apps))
    for entry in data.get("staff", []):
        user, _ = User.objects.get_or_create(username=entry["username"])
        superuser = ROLES.get(entry["role"], (False, []))[0]
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(entry["password"])
        user.save()
        user.groups.set(Group.objects.filter(name=entry["role"]))
    progress(f"staff: {', '.join(e['username'] for e in data.get('staff', []))}")
