"""The services behind the web shell, called directly: sign-in, public records,
cosignatures, bundles and supervision."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from identity.errors import Throttled
from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from ledger.errors import LedgerError
from ownervote.audit import AuditEvent
from ownervote.services import bundles, cosignatures, public_records, sign_in, supervision
from ownervote.services.errors import NotFound
from tests.support.totp import fresh_code
from tests.support.worlds import DISTRICT_A, PASSWORD, build_world


@pytest.fixture
def world(session, ov_settings):
    return build_world(session, ov_settings)


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_staff_sign_in_records_the_session_and_the_code_works_once(session, ov_settings,
                                                                    world) -> None:
    cipher, hasher = PiiCipher.from_settings(ov_settings), KeyedHasher.from_settings(ov_settings)
    code = fresh_code(world.totp["auditor"])
    signed = sign_in.staff_sign_in(session, cipher=cipher, hasher=hasher, username="t-auditor",
                                   password=PASSWORD, code=code)
    assert signed is not None and signed.user.id == world.staff["auditor"]
    principal = sign_in.staff_principal(signed.user.id)
    assert sign_in.signed_in(session, principal, signed.session_id).id == signed.user.id
    assert len(_events(session, "staff.sign_in")) == 1
    # the same code again: refused, and nothing recorded
    assert sign_in.staff_sign_in(session, cipher=cipher, hasher=hasher, username="t-auditor",
                                 password=PASSWORD, code=code) is None
    assert sign_in.staff_sign_in(session, cipher=cipher, hasher=hasher, username="t-auditor",
                                 password="wrong password!", code=code) is None
    assert len(_events(session, "staff.sign_in")) == 1


def test_staff_sign_in_locks_the_account_after_repeated_failures(session, ov_settings,
                                                                 world) -> None:
    import pyotp

    from identity.store import throttle
    from ownervote.services import staff

    cipher, hasher = PiiCipher.from_settings(ov_settings), KeyedHasher.from_settings(ov_settings)
    t0 = dt.datetime.now(dt.UTC)
    lockout = throttle.STAFF_ACCOUNT.lockout

    def attempt(password: str, at: dt.datetime, role: str = "auditor"):
        return sign_in.staff_sign_in(session, cipher=cipher, hasher=hasher,
                                     username=f"t-{role}", password=password,
                                     code=pyotp.TOTP(world.totp[role]).at(at), now=at)

    for _ in range(throttle.STAFF_ACCOUNT.max_failures):  # from any number of addresses
        assert attempt("wrong password!", t0) is None
    with pytest.raises(Throttled) as info:  # the right password too, until the lock ends
        attempt(PASSWORD, t0)
    assert info.value.retry_at == t0 + lockout
    assert attempt(PASSWORD, t0, role="admin") is not None  # other accounts: unaffected
    # time unlocks it ...
    assert attempt(PASSWORD, t0 + lockout) is not None
    # ... and so does an administrator resetting the account's one-time codes
    t1 = t0 + lockout + dt.timedelta(minutes=5)
    for _ in range(throttle.STAFF_ACCOUNT.max_failures):
        assert attempt("wrong password!", t1) is None
    with pytest.raises(Throttled):
        attempt(PASSWORD, t1)
    world.totp["auditor"] = staff.reset_totp(session, ov_settings, "t-auditor").secret
    assert attempt(PASSWORD, t1) is not None


def test_sign_out_and_a_new_sign_in_end_the_old_session(session, world) -> None:
    principal = sign_in.account_principal(world.owner_account_id)
    first = sign_in.start(session, principal)
    assert sign_in.signed_in(session, principal, first).id == world.owner_account_id
    second = sign_in.start(session, principal, replacing=first)
    assert sign_in.signed_in(session, principal, first) is None
    assert sign_in.signed_in(session, principal, second) is not None
    sign_in.sign_out(session, second, actor=f"account-id:{world.owner_account_id}")
    assert sign_in.signed_in(session, principal, second) is None
    assert len(_events(session, "sign_out")) == 1
    # a session of someone else is not this principal's, whatever the id
    staff = sign_in.start(session, sign_in.staff_principal(world.staff["admin"]))
    assert sign_in.signed_in(session, principal, staff) is None
    assert sign_in.signed_in(session, "x:1", staff) is None


def test_an_owner_owns_in_their_community_only(session, world) -> None:
    from identity.store.models import OwnerAccount

    owner_id = session.get(OwnerAccount, world.owner_account_id).owner_id
    assert sign_in.owns_in(session, owner_id, world.a.community_id)
    assert not sign_in.owns_in(session, owner_id, world.b.community_id)


def test_public_records(session, world) -> None:
    rec = public_records.record(session, world.a.assembly_id)
    assert rec.id == world.a.assembly_id and rec.community.id == world.a.community_id
    with pytest.raises(NotFound):
        public_records.record(session, world.a.draft_id)  # a draft has no public record
    with pytest.raises(NotFound):
        public_records.record(session, 987654)
    listed = {a.id for a in public_records.listed_assemblies(session)}
    assert {world.a.assembly_id, world.b.assembly_id} <= listed
    assert world.a.draft_id not in listed
    size = world.a.checkpoint_size
    assert public_records.checkpoint_at(session, world.a.assembly_id, size).size == size
    with pytest.raises(NotFound):
        public_records.checkpoint_at(session, world.a.assembly_id, size + 1000)
    note = public_records.checkpoint_note(session, world.a.assembly_id)
    assert note == public_records.checkpoints(session, world.a.assembly_id)[0].note
    found = public_records.receipt(session, world.a.assembly_id, rec.head.log_vkey,
                                   world.a.tracker)
    assert found is not None and found.checkpoint_size == size
    assert public_records.receipt(session, world.b.assembly_id, rec.head.log_vkey,
                                  world.a.tracker) is None


def test_a_cosignature_that_does_not_verify_is_refused_and_nothing_is_kept(session,
                                                                           world) -> None:
    aid, size = world.a.assembly_id, world.a.checkpoint_size
    with pytest.raises(NotFound):
        cosignatures.add(session, aid, size + 1000, "— nobody AAAA\n")
    with pytest.raises(LedgerError):
        cosignatures.add(session, aid, size, "— nobody AAAA\n")
    assert _events(session, "checkpoint.cosign") == []
    assert public_records.cosignature_count(session, aid) == 0


def test_a_bundle_is_written_once_per_log_state_and_its_download_recorded(
        session, ov_settings, world) -> None:
    aid = world.a.assembly_id
    first = bundles.download(session, aid, settings=ov_settings, actor="staff:1")
    assert first.size == world.a.checkpoint_size and first.path.exists()
    written = first.path.stat().st_mtime_ns
    again = bundles.bundle_file(session, aid, settings=ov_settings)
    assert again == first and again.path.stat().st_mtime_ns == written
    assert [e.detail["size"] for e in _events(session, "bundle.download")] == [first.size]
    with pytest.raises(bundles.BundleUnavailable) as refused:
        bundles.bundle_file(session, world.a.draft_id, settings=ov_settings)
    assert refused.value.code == "no_checkpoint"


def test_a_new_release_writes_the_bundle_again(session, ov_settings, world, monkeypatch) -> None:
    """The cached file names the release that wrote it (producer.json): after an upgrade
    the download is written again by the new release, and the old file removed."""
    import zipfile

    aid = world.a.assembly_id
    old = bundles.bundle_file(session, aid, settings=ov_settings)
    monkeypatch.setattr(bundles, "__version__", "99.0.0")
    monkeypatch.setattr("ledger.store.export.__version__", "99.0.0")
    new = bundles.bundle_file(session, aid, settings=ov_settings)
    assert new.path != old.path and not old.path.exists()
    assert new.path.name.endswith("-ownervote99.0.0.zip")
    with zipfile.ZipFile(new.path) as z:
        assert z.read("producer.json") == b'{"name":"ownervote","version":"99.0.0"}'


def test_supervision_reads_a_district(session, world) -> None:
    assert (DISTRICT_A, 1) in supervision.districts(session)
    [community] = supervision.communities(session, DISTRICT_A)
    assert community.id == world.a.community_id
    [overview] = supervision.assemblies(session, [community.id])[community.id]
    assert overview.assembly.id == world.a.assembly_id
    assert overview.participation is not None and overview.participation.heads > 0
    assert overview.results  # announced: each item's result
    assert supervision.participation(session, world.a.draft_id) is None


def test_signed_in_sessions_expire(session, world) -> None:
    principal = sign_in.account_principal(world.owner_account_id)
    sid = sign_in.start(session, principal)
    later = dt.datetime.now(dt.UTC) + sign_in.OWNER_SESSION + dt.timedelta(minutes=1)
    assert sign_in.signed_in(session, principal, sid, now=later) is None
