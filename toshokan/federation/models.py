"""The library registry in the database: the registry file's systems and branches, plus rows staff add.

The file (TOSHOKAN_LIBRARIES) is loaded into these tables by `services.sync_registry`; staff with the
`federation.*_librarysystem` permissions edit them in the admin. `source` tells a file's rows ("file:<path>")
from the admin's ("admin"): loading a file again replaces its own rows and never touches the others.
The checks are the registry file's own (domain/registry_file.py), so a row typed in the admin obeys the
same rules as a line in the file.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from toshokan.catalog import selectors as catalog_selectors

from .domain import registry_file as rf
from .domain.registry import Category, CheckSettings, Connector

ADMIN_SOURCE = "admin"


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum]


class LibrarySystem(models.Model):
    """A library system (Calil's `systemid`): one catalogue answering for its branches."""

    systemid = models.CharField(max_length=64, unique=True)
    name = models.CharField("name (Calil's systemname)", max_length=255)
    pref = models.CharField("prefecture (都道府県)", max_length=16, blank=True, db_index=True)
    city = models.CharField("municipality (市区町村)", max_length=64, blank=True)
    connector = models.CharField(max_length=16, choices=_choices(Connector), default=Connector.LOCAL.value)
    endpoint = models.CharField(
        max_length=500,
        blank=True,
        help_text="Base URL for toshokan, SRU and Calil connectors; empty for local.",
    )
    timeout_s = models.FloatField("timeout (s)", default=5.0)
    options = models.JSONField(
        default=dict, blank=True, help_text="Connector-specific settings (a JSON object)."
    )
    reserve_url = models.CharField(
        max_length=500, blank=True, help_text="Calil's reserveurl: a URL with {isbn} where the ISBN goes."
    )
    source = models.CharField(
        max_length=500,
        default=ADMIN_SOURCE,
        help_text='Where the row came from: "admin", or "file:<path>" for the registry file that loads it.',
    )
    attribution = models.CharField(
        max_length=500,
        blank=True,
        help_text="What the licence of this data asks to be shown with it (OpenStreetMap: ODbL).",
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in the registry file.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "library system (図書館システム)"
        verbose_name_plural = "library systems (図書館システム)"
        ordering = ["position", "systemid"]
        constraints = [
            models.CheckConstraint(condition=Q(timeout_s__gt=0), name="federation_system_timeout_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.systemid} {self.name}"

    @property
    def from_file(self) -> bool:
        return self.source.startswith("file:")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        checks: list[tuple[str, Any]] = [
            ("systemid", lambda: rf.check_systemid(self.systemid)),
            ("endpoint", lambda: rf.check_endpoint(Connector(self.connector), self.endpoint.strip())),
            ("timeout_s", lambda: rf.check_timeout(self.timeout_s)),
            ("reserve_url", lambda: rf.check_reserve_url(self.reserve_url.strip())),
        ]
        for name, check in checks:
            try:
                check()
            except ValueError as error:
                errors[name] = str(error)
        if not isinstance(self.options, dict):
            errors["options"] = "must be a JSON object, like {}"
        if errors:
            raise ValidationError(errors)


class LibraryBranch(models.Model):
    """A library (Calil's `libkey` within its system): a building people visit, or a bookmobile."""

    system = models.ForeignKey(LibrarySystem, on_delete=models.CASCADE, related_name="branches")
    libkey = models.CharField(max_length=64)
    formal = models.CharField("formal name", max_length=255)
    short = models.CharField("short name", max_length=255, blank=True)
    address = models.CharField(max_length=500, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    tel = models.CharField(max_length=64, blank=True)
    city = models.CharField(
        "municipality (市区町村)", max_length=64, blank=True, help_text="Empty: the system's municipality."
    )
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    category = models.CharField(max_length=8, choices=_choices(Category), default=Category.MEDIUM.value)
    isil = models.CharField("ISIL", max_length=16, blank=True)
    url = models.CharField("URL", max_length=500, blank=True)
    branch = models.CharField(
        "toshokan branch code",
        max_length=32,
        blank=True,
        help_text="Local connector only: the branch it stands for.",
    )
    source = models.CharField(max_length=500, default=ADMIN_SOURCE)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "library (図書館)"
        verbose_name_plural = "libraries (図書館)"
        ordering = ["system__position", "system__systemid", "position", "libkey"]
        constraints = [
            models.UniqueConstraint(fields=["system", "libkey"], name="federation_branch_libkey_unique"),
            # A geocode is both coordinates or neither, and on the globe.
            models.CheckConstraint(
                condition=(Q(longitude__isnull=True) & Q(latitude__isnull=True))
                | (
                    Q(longitude__gte=-180)
                    & Q(longitude__lte=180)
                    & Q(latitude__gte=-90)
                    & Q(latitude__lte=90)
                ),
                name="federation_branch_geocode_on_globe",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.formal} ({self.system.systemid}/{self.libkey})" if self.system_id else self.formal

    @property
    def geocode(self) -> tuple[float, float] | None:
        if self.longitude is None or self.latitude is None:
            return None
        return (self.longitude, self.latitude)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (self.longitude is None) != (self.latitude is None):
            errors["latitude"] = "give both longitude and latitude, or neither"
        elif self.longitude is not None and self.latitude is not None:
            try:
                rf.parse_geocode([self.longitude, self.latitude])
            except ValueError as error:
                errors["longitude"] = str(error)
        for name, check in (("isil", rf.check_isil), ("url", rf.check_http_url)):
            value = getattr(self, name).strip()
            if value:
                try:
                    check(value)
                except ValueError as error:
                    errors[name] = str(error)
        if self.system_id:
            local = self.system.connector == Connector.LOCAL
            if local and not self.branch:
                errors["branch"] = "the local connector needs the toshokan branch code it stands for"
            elif local and not catalog_selectors.branches().filter(code=self.branch).exists():
                errors["branch"] = f"{self.branch!r} is not a toshokan branch code"
            elif not local and self.branch:
                errors["branch"] = "only the local connector names a toshokan branch"
        if errors:
            raise ValidationError(errors)


class CheckConfig(models.Model):
    """The registry file's [check] table: how long a whole check may take. One row."""

    deadline_s = models.FloatField(
        "deadline (s)",
        default=CheckSettings().deadline_s,
        help_text="A whole check ends by then; systems that have not answered become Error.",
    )
    source = models.CharField(max_length=500, default=ADMIN_SOURCE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "check settings"
        verbose_name_plural = "check settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_s__gt=0) & Q(deadline_s__lte=rf.MAX_DEADLINE_S),
                name="federation_check_deadline_range",
            ),
        ]

    def __str__(self) -> str:
        return f"deadline {self.deadline_s:g} s"

    @classmethod
    def current(cls) -> CheckConfig:
        config, _ = cls.objects.get_or_create(pk=1)
        return config
