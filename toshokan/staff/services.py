"""Staff sign-in security: failures and lockouts, second factors, roles and branches.

Every write about a staff account's security goes through here and leaves a SecurityEvent row,
which is the record docs/staff-accounts.md promises (sign-ins, failures, lockouts and who lifted
them, enrolments, recovery codes used, confirmations, role and branch changes).

Lockout rule (toshokan.staff.domain.lockout): TOSHOKAN_STAFF["LOCKOUT_FAILURES"] wrong passwords or
second-factor codes for one user name within LOCKOUT_WINDOW_S lock that name for LOCKOUT_S, doubling
with each lockout that day; LOCKOUT_ADDRESS_FAILURES from one client address lock the address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from toshokan.catalog.models import Branch
from toshokan.core.domain import DomainError, Forbidden

from . import crypto
from .domain import lockout as lockout_rules
from .domain import recovery, totp
from .models import (
    EventKind,
    FailureKind,
    Lockout,
    LockScope,
    RecoveryCode,
    SecurityEvent,
    SignInFailure,
    StaffProfile,
    TotpDevice,
)
from .sessions import setting


class SignInLocked(DomainError):
    code = "sign_in_locked"


class SecondFactorRefused(DomainError):
    code = "second_factor_refused"


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the server saw it (REMOTE_ADDR; a reverse proxy must set it)."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def record_event(
    *,
    kind: EventKind,
    user: Any = None,
    actor: Any = None,
    username: str = "",
    address: str = "",
    detail: str = "",
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        user=user if user is not None and getattr(user, "pk", None) else None,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        address=address[:64],
        detail=detail[:500],
    )


# -- lockouts -------------------------------------------------------------------------------------


def _policy() -> lockout_rules.LockoutPolicy:
    return lockout_rules.LockoutPolicy(
        failures=int(setting("LOCKOUT_FAILURES")),
        window_s=float(setting("LOCKOUT_WINDOW_S")),
        base_s=float(setting("LOCKOUT_S")),
        max_s=float(setting("LOCKOUT_MAX_S")),
    )


def locked_until(*, username: str, address: str, now: datetime | None = None) -> datetime | None:
    """When sign-in opens again for this user name or this client address (None: not locked)."""
    now = now or timezone.now()
    scopes = Q(scope=LockScope.ACCOUNT, key=lockout_rules.account_key(username))
    if address:
        scopes |= Q(scope=LockScope.ADDRESS, key=address)
    lock = Lockout.objects.filter(scopes, until__gt=now, lifted_at__isnull=True).order_by("-until").first()
    return lock.until if lock is not None else None


def check_not_locked(*, username: str, address: str) -> None:
    if locked_until(username=username, address=address) is not None:
        raise SignInLocked(
            "ログインは一時的にロックされています。しばらくしてからやり直してください "
            "(sign-in is temporarily locked; try again later)"
        )


@transaction.atomic
def record_failure(
    *, username: str, address: str, kind: FailureKind, user: Any = None, now: datetime | None = None
) -> bool:
    """Count one wrong password or code; lock the user name or the address when it is one too
    many. True when this failure locked something."""
    now = now or timezone.now()
    policy = _policy()
    key = lockout_rules.account_key(username)
    SignInFailure.objects.create(at=now, account_key=key, address=address, kind=kind)
    # Only the window counts; older failures (an unknown name tried once) need not be kept.
    SignInFailure.objects.filter(at__lt=now - timedelta(days=1)).delete()
    record_event(
        kind=EventKind.SIGN_IN_FAILED if kind == FailureKind.PASSWORD else EventKind.SECOND_FACTOR_FAILED,
        user=user,
        username=username,
        address=address,
    )
    since = now - timedelta(seconds=policy.window_s)
    locked = False
    checks = [(LockScope.ACCOUNT, key, Q(account_key=key), policy.failures)]
    if address:
        checks.append(
            (LockScope.ADDRESS, address, Q(address=address), int(setting("LOCKOUT_ADDRESS_FAILURES")))
        )
    for scope, lock_key, which, threshold in checks:
        if Lockout.objects.filter(scope=scope, key=lock_key, until__gt=now, lifted_at__isnull=True).exists():
            continue
        start = since
        last = Lockout.objects.filter(scope=scope, key=lock_key).order_by("-started_at").first()
        if last is not None:  # failures before the last lockout ended were paid for by it
            start = max(since, last.lifted_at or last.until)
        count = SignInFailure.objects.filter(which, at__gt=start).count()
        if not lockout_rules.should_lock(recent_failures=count, threshold=threshold):
            continue
        earlier = Lockout.objects.filter(
            scope=scope, key=lock_key, started_at__gt=now - timedelta(days=1)
        ).count()
        seconds = lockout_rules.lock_seconds(policy, earlier_lockouts_today=earlier)
        Lockout.objects.create(
            scope=scope, key=lock_key, started_at=now, until=now + timedelta(seconds=seconds), failures=count
        )
        record_event(
            kind=EventKind.LOCKED,
            user=user if scope == LockScope.ACCOUNT else None,
            username=username if scope == LockScope.ACCOUNT else "",
            address=address,
            detail=f"{scope} {lock_key}: {count} failures, locked for {int(seconds // 60)} min",
        )
        locked = True
    return locked


@transaction.atomic
def clear_failures(*, username: str) -> None:
    """A sign-in completed: earlier failures of this user name no longer count."""
    SignInFailure.objects.filter(account_key=lockout_rules.account_key(username)).delete()


@transaction.atomic
def unlock(*, lockout: Lockout, actor: Any) -> Lockout:
    """An administrator lifts a lockout before it ends (recorded with who did it)."""
    if lockout.lifted_at is None and lockout.until > timezone.now():
        lockout.lifted_at = timezone.now()
        lockout.lifted_by = actor
        lockout.save(update_fields=["lifted_at", "lifted_by"])
        if lockout.scope == LockScope.ACCOUNT:
            SignInFailure.objects.filter(account_key=lockout.key).delete()
        user = (
            get_user_model().objects.filter(username__iexact=lockout.key).first()
            if lockout.scope == LockScope.ACCOUNT
            else None
        )
        record_event(
            kind=EventKind.UNLOCKED,
            user=user,
            actor=actor,
            username=lockout.key if lockout.scope == LockScope.ACCOUNT else "",
            address=lockout.key if lockout.scope == LockScope.ADDRESS else "",
            detail=f"{lockout.scope} {lockout.key}",
        )
    return lockout


def unlock_account(*, user: Any, actor: Any) -> int:
    """Lift every running lockout of this account's user name; how many were lifted."""
    running = Lockout.objects.filter(
        scope=LockScope.ACCOUNT,
        key=lockout_rules.account_key(user.get_username()),
        until__gt=timezone.now(),
        lifted_at__isnull=True,
    )
    lifted = 0
    for lock in running:
        unlock(lockout=lock, actor=actor)
        lifted += 1
    return lifted


# -- TOTP and recovery codes ----------------------------------------------------------------------


@transaction.atomic
def enrol_totp(*, user: Any, secret: str, code: str, now: float, address: str = "") -> list[str]:
    """Keep `secret` as the user's authenticator once `code` shows the app has it; replaces an
    earlier one. Returns fresh recovery codes (shown once) when the user had none left."""
    step = totp.matching_step(secret, code, now=now, after_step=0)
    if step is None:
        raise SecondFactorRefused(
            "確認コードが違います。認証アプリの6桁のコードを入力してください "
            "(the code does not match; type the 6-digit code from the app)"
        )
    TotpDevice.objects.update_or_create(
        user=user,
        defaults={
            "encrypted_secret": crypto.encrypt(secret),
            "last_step": step,
            "confirmed_at": timezone.now(),
            "last_used_at": timezone.now(),
        },
    )
    record_event(kind=EventKind.TOTP_ENROLLED, user=user, address=address)
    if RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists():
        return []
    return make_recovery_codes(user=user, address=address)


def verify_totp(*, user: Any, code: str, now: float) -> bool:
    """Whether `code` is the user's current TOTP code, not used before; it is used up if so."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            return False
        step = totp.matching_step(
            crypto.decrypt(device.encrypted_secret), code, now=now, after_step=device.last_step
        )
        if step is None:
            return False
        device.last_step = step
        device.last_used_at = timezone.now()
        device.save(update_fields=["last_step", "last_used_at"])
        return True


@transaction.atomic
def make_recovery_codes(*, user: Any, address: str = "", actor: Any = None) -> list[str]:
    """New recovery codes for the user (the old ones stop working); the codes themselves are
    returned once and kept only as digests."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = recovery.new_codes(int(setting("RECOVERY_CODES")))
    now = timezone.now()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, digest=recovery.digest(c), created_at=now) for c in codes]
    )
    record_event(kind=EventKind.RECOVERY_CODES_MADE, user=user, actor=actor, address=address)
    return codes


def use_recovery_code(*, user: Any, code: str, address: str = "") -> bool:
    """Whether `code` is one of the user's unused recovery codes; it is used up if so."""
    if not recovery.looks_like_code(code):
        return False
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, digest=recovery.digest(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
            record_event(kind=EventKind.RECOVERY_CODE_USED, user=user, address=address, detail=f"{left} left")
        return bool(used)


def verify_second_factor(*, user: Any, code: str, address: str, now: float) -> str:
    """Check a typed second-factor code — a TOTP code or a recovery code — for a user whose
    password was just accepted. Returns the method ("totp" or "recovery"); a wrong code counts
    towards the lockout and raises SecondFactorRefused (SignInLocked when the account is locked)."""
    check_not_locked(username=user.get_username(), address=address)
    if verify_totp(user=user, code=code, now=now):
        return "totp"
    if use_recovery_code(user=user, code=code, address=address):
        return "recovery"
    second_factor_failed(user=user, address=address)
    raise SecondFactorRefused("コードが違うか、すでに使われています (the code is wrong or was already used)")


def second_factor_failed(*, user: Any, address: str, detail: str = "") -> None:
    record_failure(username=user.get_username(), address=address, kind=FailureKind.SECOND_FACTOR, user=user)


@transaction.atomic
def reset_second_factor(*, user: Any, actor: Any) -> None:
    """Remove the user's authenticator and recovery codes (a lost phone): they enrol again at
    their next sign-in, after the password."""
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record_event(kind=EventKind.SECOND_FACTOR_RESET, user=user, actor=actor)


# -- roles and branches ---------------------------------------------------------------------------


def manageable_by(manager: Any) -> Any:
    """The staff accounts a manager may give roles to: staff of the manager's branches (all staff
    for a superuser or a manager without branches), never a superuser, never themselves."""
    User = get_user_model()
    people = User.objects.filter(Q(is_staff=True) | Q(groups__isnull=False)).distinct()
    people = people.exclude(is_superuser=True).exclude(pk=manager.pk)
    if manager.is_superuser:
        return people
    profile = StaffProfile.objects.filter(user=manager).first()
    codes = list(profile.branches.values_list("code", flat=True)) if profile is not None else []
    if not codes:
        return people
    return people.filter(staff_profile__branches__code__in=codes).distinct()


ASSIGNABLE_ROLES = ("desk", "cataloguer", "manager")


@transaction.atomic
def set_roles(*, user: Any, roles: list[str], actor: Any) -> None:
    """Give a staff member exactly these roles (groups). A manager may give only the roles they
    hold themselves, to staff of their own branches; the admin role is given in the admin only."""
    unknown = set(roles) - set(ASSIGNABLE_ROLES)
    if unknown:
        raise DomainError(
            f"この役割はここでは付けられません: {', '.join(sorted(unknown))}", code="unknown_role"
        )
    if not actor.is_superuser:
        if not manageable_by(actor).filter(pk=user.pk).exists():
            raise Forbidden("この職員の役割は変更できません (not a member of your branches' staff)")
        own = set(actor.groups.values_list("name", flat=True))
        beyond = set(roles) - own - ({"desk", "cataloguer"} if "manager" in own else set())
        if beyond:
            raise Forbidden(f"自分にない役割は付けられません: {', '.join(sorted(beyond))}")
    before = sorted(user.groups.values_list("name", flat=True))
    keep = user.groups.exclude(name__in=ASSIGNABLE_ROLES)
    user.groups.set([*keep, *Group.objects.filter(name__in=roles)])
    after = sorted(user.groups.values_list("name", flat=True))
    if before != after:
        record_event(
            kind=EventKind.ROLES_CHANGED,
            user=user,
            actor=actor,
            detail=f"{','.join(before) or '-'} → {','.join(after) or '-'}",
        )


@transaction.atomic
def set_branches(*, user: Any, branches: list[Branch], actor: Any) -> StaffProfile:
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    before = sorted(profile.branches.values_list("code", flat=True))
    profile.branches.set(branches)
    after = sorted(b.code for b in branches)
    if before != after:
        record_event(
            kind=EventKind.BRANCHES_CHANGED,
            user=user,
            actor=actor,
            detail=f"{','.join(before) or '*'} → {','.join(after) or '*'}",
        )
    return profile
