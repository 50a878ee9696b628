"""Background work of an inbox process: delivering the outbox, and deleting what is kept too long.

Mail is never sent inside a request. The request stores it in the outbox
table in the same transaction as the submission; :func:`deliver_mail`
delivers it and removes it once the SMTP server has accepted it. A failed
delivery stays in the outbox and is retried with growing pauses.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from starlette.concurrency import run_in_threadpool

from . import limits, mail, messages, store
from .core import OSLO, Inbox, now

log = logging.getLogger("inbox.worker")

BATCH = 20  # mails read from the outbox at a time


async def deliver_mail(inbox: Inbox) -> None:
    """Deliver the outbox: now when a submission wakes us, else every few seconds."""
    while not inbox.stopping:
        inbox.wake.clear()
        try:
            if await drain(inbox) == BATCH:
                continue  # more is due (a newsletter): on at once, not in five seconds
        except Exception as error:  # noqa: BLE001 - a database hiccup must not end the worker
            log.error(messages.LOG_OUTBOX_UNREADABLE, type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that arrives as the event is set, and the worker would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await inbox.wake.wait()


async def drain(inbox: Inbox) -> int:
    """Deliver what is due; the number of mails tried.

    Each mail is taken out of the outbox (committed) after the server has the whole message and before
    its final ".", through :data:`mail.HandOver`: a kill at any moment never leads to a second copy.
    """
    due = await inbox.db(store.due_mail, now(), BATCH)
    for item in due:
        handed = False

        def hand_over(mail_id: int = item["id"]) -> bool:
            nonlocal handed
            handed = store.mail_sent(inbox.engine, mail_id)
            return handed

        try:
            await run_in_threadpool(inbox.settings.delivery.send, item["recipient"], item["message"], hand_over)
        except mail.Withdrawn:
            continue
        except Exception as error:  # noqa: BLE001 - SMTP fails in many ways; each is retried
            retry = now() + mail.retry_delay(item["attempts"])
            # The error text may echo the address: the log gets the mail's id and a description without it.
            log.warning(messages.LOG_MAIL_FAILED, item["id"], item["attempts"] + 1, mail.describe_error(error),
                        retry.astimezone(OSLO).isoformat(timespec="seconds"))
            if not handed:
                await inbox.db(store.mail_failed, item["id"], str(error), retry)
            elif mail.refused(error):  # refused after the whole message: surely not delivered, so back it goes
                await inbox.db(store.mail_restore, item, str(error), retry)
            else:  # the connection broke after the final ".": perhaps delivered, so never sent again
                log.warning(messages.LOG_MAIL_IN_DOUBT, item["id"])
    return len(due)


async def enforce_retention(inbox: Inbox) -> None:
    """Every hour: old leads and unconfirmed signups, ended sessions, stale limit counts."""
    settings = inbox.settings
    while not inbox.stopping:
        try:
            moment = now()
            removed = await inbox.db(store.purge, moment, dt.timedelta(days=settings.retention_days),
                                     dt.timedelta(hours=settings.confirm_hours))
            removed |= await inbox.db(store.purge_expired, moment, dt.timedelta(hours=settings.session_hours),
                                      dt.timedelta(minutes=settings.idle_minutes), limits.LONGEST_WINDOW)
            if any(removed.values()):
                log.info(messages.LOG_RETENTION, messages.removed(removed))
        except Exception as error:  # noqa: BLE001 - the next hour tries again
            log.error(messages.LOG_RETENTION_FAILED, type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        await asyncio.sleep(3600)
