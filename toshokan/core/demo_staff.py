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

# The desk: lending, returns, renewals, holds, transits; registering patrons and changing their
# details (not blocks); reading the rules and calendars it lends by.
DESK = [
    "circulation.add_loan",
    "circulation.change_loan",
    "circulation.delete_loan",
    "circulation.view_loan",
    "circulation.add_hold",
    "circulation.change_hold",
    "circulation.delete_hold",
    "circulation.view_hold",
    "circulation.view_transit",
    "circulation.view_circulationrule",
    "circulation.view_circulationsettings",
    "circulation.view_weeklyclosure",
    "circulation.view_closedday",
    "patrons.add_patron",
    "patrons.change_patron",
    "patrons.view_patron",
    "patrons.view_patronblock",
    "notices.view_notice",  # a patron's notice log (did the hold-ready mail go out?), audited
    # Asking for a patron's reading record on a warrant; another member of staff must approve it.
    "circulation.add_readingrecordexport",
    "circulation.view_readingrecordexport",
    "catalog.view_record",
    "catalog.view_holding",
    "catalog.view_branch",
]
# A manager (館長・係長): the desk, plus rules, calendars, settings, branches, service points, blocks,
# the registry of libraries for live availability, and the audit of staff views.
MANAGER = [
    *DESK,
    *(
        f"{model.split('.')[0]}.{action}_{model.split('.')[1]}"
        for model in (
            "circulation.circulationrule",
            "circulation.circulationsettings",
            "circulation.weeklyclosure",
            "circulation.closedday",
            "circulation.servicepoint",
            "catalog.branch",
            "patrons.patronblock",
            "federation.librarysystem",
            "federation.librarybranch",
            "federation.checkconfig",
        )
        for action in ("add", "change", "delete", "view")
    ),
    "patrons.view_staffaccess",
    "core.view_auditevent",  # the append-only audit log (docs/audit.md)
    "circulation.approve_readingrecordexport",  # the second approver of a warrant export
    "staff.manage_staff",  # roles for the staff of the manager's branches (/staff/roles)
]

# role → (is_superuser, permissions: an app label for all of that app's, or "app.codename")
ROLES: dict[str, tuple[bool, list[str]]] = {
    "admin": (True, []),
    "manager": (False, MANAGER),
    "desk": (False, DESK),
    "cataloguer": (False, ["catalog"]),
}


def permissions(names: list[str]) -> list[Permission]:
    """The Permission rows for app labels and "app.codename" names; an unknown name is an error."""
    found: list[Permission] = []
    for name in names:
        if "." not in name:
            found.extend(Permission.objects.filter(content_type__app_label=name))
            continue
        app, codename = name.split(".", 1)
        perm = Permission.objects.filter(content_type__app_label=app, codename=codename).first()
        if perm is None:
            raise LookupError(f"no permission {name} (is the app migrated?)")
        found.append(perm)
    return found


def ensure_groups() -> None:
    """Create or update the role groups with their permissions (idempotent)."""
    for role, (_superuser, names) in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        if names:
            group.permissions.set(permissions(names))


def demo_fingerprint() -> str:
    return hashlib.sha256(CREDENTIALS.read_bytes()).hexdigest()[:16]


def load(progress: Callable[[str], None]) -> None:
    data = json.loads(CREDENTIALS.read_text(encoding="utf-8"))
    User = get_user_model()
    ensure_groups()
    for entry in data.get("staff", []):
        user, _ = User.objects.get_or_create(username=entry["username"])
        superuser = ROLES.get(entry["role"], (False, []))[0]
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(entry["password"])
        user.save()
        user.groups.set(Group.objects.filter(name=entry["role"]))
    progress(f"staff: {', '.join(e['username'] for e in data.get('staff', []))}")
