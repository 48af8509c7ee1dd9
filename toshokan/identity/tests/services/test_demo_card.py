"""The demo card command: a made-up resident signs up, logs in and renews — and production cannot trust it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.identity import services, trust
from toshokan.identity.domain.jpki import JpkiRefused, RefusalReason
from toshokan.identity.models import ChallengePurpose


@pytest.fixture
def demo(settings: Any, tmp_path: Path, db: Any) -> Path:
    catalog_factories.branch("central")
    settings.DEBUG = True
    settings.TOSHOKAN_JPKI = {"DEMO": True}
    settings.TOSHOKAN_JPKI_DEMO_DIR = str(tmp_path / "jpki-demo")
    trust.forget_crls()
    return tmp_path


def card(tmp: Path, purpose: ChallengePurpose, *args: str) -> dict[str, Any]:
    nonce = services.issue_challenge(purpose=purpose).nonce
    out = tmp / "bundle.json"
    call_command("jpki_demo_card", f"--nonce={nonce}", "--out", str(out), *args)
    return dict(json.loads(out.read_text()))


def test_a_demo_resident_signs_up_logs_in_and_renews_after_a_move(demo: Path) -> None:
    bundle = card(demo, ChallengePurpose.REGISTER, "--card", "demo1", "--name", "試験 一郎")
    registered = services.register_with_card(bundle=services.parse_bundle(bundle, signing=True, auth=False))
    assert registered.outcome is services.Outcome.REGISTERED
    assert registered.patron.family_name == "試験"

    login = card(demo, ChallengePurpose.LOGIN, "--card", "demo1", "--login")
    assert "signing_certificate" not in login
    patron = services.log_in_with_card(bundle=services.parse_bundle(login, signing=False, auth=True))
    assert patron.pk == registered.patron.pk

    moved = card(
        demo,
        ChallengePurpose.REGISTER,
        "--card",
        "demo1",
        "--renew",
        "--address",
        "東京都千代田区神田神保町1-1",
    )
    trust.forget_crls()
    relinked = services.register_with_card(bundle=services.parse_bundle(moved, signing=True, auth=False))
    assert relinked.outcome is services.Outcome.RELINKED and relinked.patron.pk == patron.pk
    assert relinked.patron.address == "東京都千代田区神田神保町1-1"


def test_the_demo_ca_is_not_trusted_without_debug(demo: Path, settings: Any) -> None:
    bundle = card(demo, ChallengePurpose.REGISTER)
    settings.DEBUG = False
    assert trust.roots() == []
    with pytest.raises(JpkiRefused) as refused:
        services.register_with_card(bundle=services.parse_bundle(bundle, signing=True, auth=False))
    assert refused.value.reason is RefusalReason.UNKNOWN_ISSUER


def test_check_deploy_refuses_the_demo_ca(settings: Any) -> None:
    settings.TOSHOKAN_JPKI = {"DEMO": True}
    assert "identity.E001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.TOSHOKAN_JPKI = {}
    assert "identity.E001" not in [m.id for m in run_checks(include_deployment_checks=True)]


def test_a_misspelt_setting_stops_with_a_clear_error(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.TOSHOKAN_JPKI = {"ROOT": ["/etc/jlis.pem"]}
    with pytest.raises(ImproperlyConfigured, match="ROOT"):
        trust.config()


def test_no_nonce_begins_with_a_hyphen_that_a_command_line_would_take_for_an_option(db: Any) -> None:
    nonces = [services.issue_challenge(purpose=ChallengePurpose.REGISTER).nonce for _ in range(300)]
    assert not any(n.startswith("-") for n in nonces)
    assert len(set(nonces)) == 300
