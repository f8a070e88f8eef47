"""Invitation links, accounts and sign-in limits, in the library (what the portal and the CLI both call)."""

from __future__ import annotations

import datetime as dt
import re
import stat

import pytest

from secaudit import clock
from secaudit.pipeline import portal_access as access
from tests.portal.conftest import PASSWORD, SERVICE, PortalWorld


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_each_refusal_says_why(world: PortalWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    token = _token(world.invite())
    assert access.check_invitation(world.session, token).service_id == SERVICE
    version, ident, expiry, signature = token.split(".")
    cases = {
        "v1.short.1.x": access.Refusal.MALFORMED,
        f"{version}.{'a' * 24}.{expiry}.{signature}": access.Refusal.UNKNOWN,
        f"{version}.{ident}.{int(expiry) + 1}.{signature}": access.Refusal.FORGED,
        f"{version}.{ident}.{expiry}.{'A' * 43}": access.Refusal.FORGED,
    }
    for given, reason in cases.items():
        with pytest.raises(access.AccessRefused) as refused:
            access.check_invitation(world.session, given)
        assert refused.value.reason is reason, given
    monkeypatch.setenv(clock.NOW_ENV, (clock.now() + dt.timedelta(days=31)).isoformat())
    with pytest.raises(access.AccessRefused) as late:
        access.check_invitation(world.session, token)
    assert late.value.reason is access.Refusal.EXPIRED


def test_a_link_signed_with_another_workspaces_key_is_forged(world: PortalWorld) -> None:
    token = _token(world.invite())
    key = world.root / ".secaudit" / access.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.write_bytes(b"k" * 32)
    with pytest.raises(access.AccessRefused) as refused:
        access.check_invitation(world.session, token)
    assert refused.value.reason is access.Refusal.FORGED


def test_an_invitation_lasts_until_the_end_of_its_last_day_in_the_workspace_zone(world: PortalWorld) -> None:
    last_day = clock.today(world.session.workspace().config.zone) + dt.timedelta(days=3)
    issued = access.invite(world.session, SERVICE, "a@city.example.jp", last_day, "officer", "en")
    # hex ids: one starting with "-" would be taken for an option by `secaudit portal revoke ID`
    assert re.fullmatch("[0-9a-f]{24}", issued.invitation.id)
    ends = issued.invitation.expires_at.astimezone(world.session.workspace().config.zone)
    assert (ends.date(), ends.time()) == (last_day + dt.timedelta(days=1), dt.time())


@pytest.mark.parametrize(
    ("email", "expires", "problem"),
    [
        ("not-an-address", None, "--email"),
        ("a@b.example\n<script>", None, "--email"),
        ("a@city.example.jp", dt.date(2000, 1, 1), "in the past"),
        ("a@city.example.jp", dt.date(2999, 1, 1), "more than 365 days"),
    ],
)
def test_a_bad_invitation_is_refused_before_anything_is_stored(
    world: PortalWorld, email: str, expires: dt.date | None, problem: str
) -> None:
    with pytest.raises(access.PortalInputError, match=problem):
        access.invite(world.session, SERVICE, email, expires, "officer", "ja")
    assert access.list_invitations(world.session) == []


def test_passwords_are_kept_as_argon2id_hashes(world: PortalWorld) -> None:
    from secaudit.store.portal import account

    world.add_user()
    stored = account(world.session.store(), "sato")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    with pytest.raises(access.PortalInputError, match="already exists"):
        world.add_user()
    with pytest.raises(access.PortalInputError, match="at least 12"):
        access.add_user(world.session, "tanaka", access.Role.AUDITOR, "short", "officer")
    with pytest.raises(access.PortalInputError, match="NAME"):
        access.add_user(world.session, "../root", access.Role.AUDITOR, PASSWORD, "officer")


def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(world: PortalWorld) -> None:
    world.add_user()
    for _ in range(access.SIGN_IN_LIMIT):
        with pytest.raises(access.AccessRefused) as wrong:
            access.sign_in(world.session, "sato", "wrong password!!", "127.0.0.1")
        assert wrong.value.reason is access.Refusal.WRONG_PASSWORD
    with pytest.raises(access.AccessRefused) as throttled:
        access.sign_in(world.session, "sato", PASSWORD, "127.0.0.1")
    assert throttled.value.reason is access.Refusal.THROTTLED


def test_failures_from_one_client_do_not_lock_out_the_officer_elsewhere_for_long(
    world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_user()
    for name in ("a1", "a2", "a3", "a4", "a5"):  # guessing names from one address
        with pytest.raises(access.AccessRefused):
            access.sign_in(world.session, name, "guess guess guess", "192.0.2.9")
    with pytest.raises(access.AccessRefused) as throttled:
        access.sign_in(world.session, "sato", PASSWORD, "192.0.2.9")
    assert throttled.value.reason is access.Refusal.THROTTLED
    assert access.sign_in(world.session, "sato", PASSWORD, "127.0.0.1")  # another client still signs in
    monkeypatch.setenv(clock.NOW_ENV, (clock.now() + access.SIGN_IN_WINDOW + dt.timedelta(seconds=1)).isoformat())
    assert access.sign_in(world.session, "sato", PASSWORD, "192.0.2.9")


def test_an_unknown_account_is_refused_like_a_wrong_password(world: PortalWorld) -> None:
    with pytest.raises(access.AccessRefused) as refused:
        access.sign_in(world.session, "nobody", PASSWORD, "127.0.0.1")
    assert refused.value.reason is access.Refusal.WRONG_PASSWORD
