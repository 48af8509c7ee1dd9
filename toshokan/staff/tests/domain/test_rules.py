"""TOTP windows and replays, recovery codes and lockout times: the pure rules, table-driven."""

from __future__ import annotations

import pyotp
import pytest

from toshokan.staff.domain import lockout, recovery, totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # in step 60_000_000
STEP = int(NOW) // 30


def code_at_step(step: int) -> str:
    return pyotp.TOTP(SECRET).at(step * 30)


@pytest.mark.parametrize(
    ("offset", "after", "accepted"),
    [
        (0, 0, True),  # the current code
        (-1, 0, True),  # one step late (a slow typist, a clock behind)
        (1, 0, True),  # one step early
        (-2, 0, False),  # outside the window
        (2, 0, False),
        (0, STEP, False),  # this step's code was used already
        (-1, STEP - 1, False),  # the previous step's too
        (0, STEP - 1, True),  # a later step than the last used one
    ],
)
def test_a_code_is_accepted_within_one_step_and_only_once(offset, after, accepted):
    found = totp.matching_step(SECRET, code_at_step(STEP + offset), now=NOW, after_step=after)
    assert (found == STEP + offset) if accepted else (found is None)


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c,
        lambda c: f"{c[:3]} {c[3:]}",
        lambda c: "".join(chr(ord(d) + 0xFEE0) for d in c),  # full-width, from a Japanese IME
        lambda c: f" {c}\n",
    ],
)
def test_codes_are_read_as_people_type_them(typed):
    assert totp.matching_step(SECRET, typed(code_at_step(STEP)), now=NOW, after_step=0) == STEP


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef"])
def test_malformed_codes_match_nothing(typed):
    assert totp.matching_step(SECRET, typed, now=NOW, after_step=0) is None


def test_the_provisioning_uri_names_the_issuer_and_account():
    uri = totp.provisioning_uri(SECRET, account="desk1", issuer="toshokan")
    assert uri.startswith("otpauth://totp/toshokan:desk1?") and f"secret={SECRET}" in uri
    assert totp.grouped("ABCDEFGH") == "ABCD EFGH"
    assert len(totp.new_secret()) == 32


def test_recovery_codes_are_distinct_readable_and_compared_loosely():
    codes = recovery.new_codes(10)
    assert len(set(codes)) == 10
    for code in codes:
        assert recovery.looks_like_code(code) and len(code) == 11 and code[5] == "-"
        assert recovery.digest(code.upper().replace("-", " ")) == recovery.digest(code)
    wide = "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in codes[0])
    assert recovery.digest(wide) == recovery.digest(codes[0])
    assert not recovery.looks_like_code("123456")


POLICY = lockout.LockoutPolicy(failures=5, window_s=900, base_s=900, max_s=86_400)


@pytest.mark.parametrize(("earlier", "seconds"), [(0, 900), (1, 1800), (2, 3600), (3, 7200), (10, 86_400)])
def test_each_lockout_in_a_day_doubles_up_to_the_maximum(earlier, seconds):
    assert lockout.lock_seconds(POLICY, earlier_lockouts_today=earlier) == seconds


@pytest.mark.parametrize(("failures", "locked"), [(4, False), (5, True), (6, True)])
def test_the_fifth_failure_locks(failures, locked):
    assert lockout.should_lock(recent_failures=failures, threshold=5) is locked
    assert not lockout.should_lock(recent_failures=failures, threshold=0)  # 0 turns it off


def test_user_names_share_their_failures_whatever_their_case():
    assert lockout.account_key(" Desk1 ") == lockout.account_key("desk1") == "desk1"
