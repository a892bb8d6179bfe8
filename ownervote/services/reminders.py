"""SMS reminders to the owners who have not voted yet, while voting is open.

One reminder per owner (head) a day at most: an owner reminded less than
:data:`REMIND_AFTER` ago is skipped.  Each message is recorded in the audit log
(head, masked phone, units, the console's time).  :func:`send` is one unit of work;
when the gateway fails part way, what was sent before stays recorded and
:class:`GatewayFailed` is raised after the commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import SmsError
from identity.pii import PiiCipher, account_phone_purpose
from identity.store.smsoutbox import make_gateway
from ownervote.audit import AuditEvent, record
from ownervote.services import figures
from ownervote.services.errors import NotFound, ServiceError
from ownervote.services.unit_of_work import writing
from voting import lifecycle
from voting.errors import TransitionRefused
from voting.store.models import Assembly

REMIND_AFTER = dt.timedelta(hours=24)
REMINDER_ACTION = "assembly.reminder"


class GatewayFailed(ServiceError):
    """The SMS gateway failed after ``sent`` messages (those stay recorded)."""

    def __init__(self, sent: int, detail: str) -> None:
        self.sent = sent
        self.detail = detail
        super().__init__(f"the SMS gateway failed after {sent} messages: {detail}")


@dataclass(frozen=True)
class Reminded:
    sent: int  # messages sent
    skipped: int  # owners reminded less than REMIND_AFTER ago
    unreachable: int  # owners without a verified phone


def refusal(a: Assembly) -> TransitionRefused | None:
    """What stops reminders now (None: voting is open, they may be sent)."""
    return lifecycle.reminder_refusal(a.status)


def last_reminded(session: Session, assembly_id: int) -> dict[str, dt.datetime]:
    """Head id -> when that owner was last reminded (the console's clock when sent)."""
    rows = session.execute(select(AuditEvent.detail, AuditEvent.at).where(
        AuditEvent.action == REMINDER_ACTION, AuditEvent.subject == f"assembly:{assembly_id}"))
    last: dict[str, dt.datetime] = {}
    for detail, stored_at in rows:
        head = (detail or {}).get("head")
        # the console's clock when sent (differs from the row's time only on a test clock)
        at = dt.datetime.fromisoformat(detail["sent_at"]) if "sent_at" in detail else stored_at
        if head and (head not in last or at > last[head]):
            last[head] = at
    return last


def recent(session: Session, assembly_id: int, limit: int = 50) -> list[tuple[dt.datetime,
                                                                              dict]]:
    """The latest reminders sent: (time, detail with the masked phone and the units)."""
    return [tuple(row) for row in session.execute(
        select(AuditEvent.at, AuditEvent.detail).where(
            AuditEvent.action == REMINDER_ACTION,
            AuditEvent.subject == f"assembly:{assembly_id}")
        .order_by(AuditEvent.id.desc()).limit(limit))]


def send(session: Session, assembly_id: int, *, building: str | None, text: str,
         settings: Any, cipher: PiiCipher, now: dt.datetime, actor: str) -> Reminded:
    """Send ``text`` to every owner (of ``building`` if given) who has not voted yet.

    Refused with :class:`~voting.errors.TransitionRefused` ``reminders_only_while_open``
    unless voting is open; ``settings`` are ownervote's (which SMS gateway).
    """
    failure: SmsError | None = None
    sent = skipped = unreachable = 0
    with writing(session):
        a = session.get(Assembly, assembly_id, populate_existing=True)
        if a is None:
            raise NotFound("assembly", assembly_id)
        refused = refusal(a)
        if refused is not None:
            raise refused
        last = last_reminded(session, a.id)
        s = figures.snapshot(session, a.id)
        try:
            gateway = make_gateway(settings, session)
            for owed in figures.non_voters(session, a, s, building, cipher=cipher):
                previous = last.get(owed.head_id)
                if previous is not None and now - previous < REMIND_AFTER:
                    skipped += 1
                    continue
                accounts = figures.accounts_of(session, owed.owner_ids)
                if not accounts:
                    unreachable += 1
                    continue
                for account in accounts:
                    phone = cipher.decrypt_text(account.phone_enc,
                                                purpose=account_phone_purpose(account.key))
                    gateway.send(phone, text)
                    record(session, actor, REMINDER_ACTION, f"assembly:{a.id}",
                           head=owed.head_id, phone=account.phone_masked,
                           sent_at=now.isoformat(), units=[u for u, _a in owed.units])
                    sent += 1
        except SmsError as exc:
            failure = exc  # what was sent before the failure stays recorded
    if failure is not None:
        raise GatewayFailed(sent, str(failure)) from failure
    return Reminded(sent, skipped, unreachable)
