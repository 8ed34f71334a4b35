"""Reader tasks: things a till asks of a customer on the reader that are not payments.

- `save_card`: save the customer's card without paying. A SetupIntent for their Stripe Customer
  (usage off_session, card_present) is processed on the reader; once it succeeds, its attempt's
  `generated_card` (a reusable card PaymentMethod) is kept like a card saved by a payment
  (`customers.cards.remember_generated`: once, whatever replays).
- `ask_email`: the reader asks the customer to type their email (`collect_inputs`); the address is
  checked like a typed one and stored on the customer.

A task holds its reader (`ReaderHold`, one per reader) from the moment it is written, in the same
transaction that checks no payment leases the reader (and `store.acquire_lease` refuses a reader a
task holds): two tills never send to one reader. The hold expires on its own (`HOLD_SECONDS`,
renewed while the till follows the task), so a crash or a closed tab never keeps the reader.

Nothing depends on webhooks: the till's poll (`advance`) reads the reader and the SetupIntent. Each
Stripe POST carries a key derived from the task's `key` and step, so a replay after a crash sends
the same call, never a second SetupIntent. A task that was interrupted before the reader got it is
not sent later to a reader whose hold has expired (a payment may be using it): it ends instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from kiosk.audit import trail as audit
from kiosk.customers import cards, directory, protection
from kiosk.customers.attach import NEEDS_EMAIL, NOT_SAVING
from kiosk.customers.mirror import ensure_stripe_customer
from kiosk.forms import FormErrors
from kiosk.payments import store
from kiosk.payments.engine import Engine
from kiosk.payments.faults import kill_point
from kiosk.payments.states import ACTIVE
from kiosk.payments.tables import ReaderHold, ReaderLease, ReaderTask
from kiosk.stripe_account.customer_gateway import ReaderTaskAction
from kiosk.stripe_account.errors import (
    PaymentError,
    RateLimited,
    ReaderBusy,
    ReaderOffline,
    ReaderTimeout,
    StripeUnavailable,
)

logger = logging.getLogger(__name__)

SAVE_CARD, ASK_EMAIL = "save_card", "ask_email"
KINDS = (SAVE_CARD, ASK_EMAIL)
STARTING, RUNNING, SUCCEEDED, FAILED, CANCELED = "starting", "running", "succeeded", "failed", "canceled"
FINAL = (SUCCEEDED, FAILED, CANCELED)
# The hold lasts this long past the till's last look; the task itself ends at its deadline.
HOLD_SECONDS = 60.0
TASK_SECONDS = 180.0

LEASED = "This reader is taking a card payment for a till: choose another reader or wait."
HELD = "This reader is busy with another customer: choose another reader or wait."
OFFLINE = "The reader is offline: check it is on and connected, then try again."
INTERRUPTED = "The kiosk was interrupted before the reader got the request: nothing was saved. Try again."
TIMED_OUT = "The customer did not answer on the reader in time. Nothing was saved."
CANCELED_AT_TILL = "Canceled at the till. Nothing was saved."
CUSTOMER_CANCELED = "The customer canceled on the reader. Nothing was saved."
GONE = "The reader dropped the request (canceled there or by another app). Nothing was saved."
INPUT_TIMED_OUT = "The customer did not type their email in time."
SKIPPED = "The customer chose not to give an email."


@dataclass(frozen=True)
class TaskView:
    id: int
    kind: str
    state: str
    customer_id: int
    receipt_id: int | None
    reader_id: str
    result: str
    message: str

    @property
    def final(self) -> bool:
        return self.state in FINAL


def _view(task: ReaderTask) -> TaskView:
    receipt = int(task.receipt) if task.receipt is not None else None
    return TaskView(
        int(task.id), task.kind, task.state, int(task.customer), receipt, task.reader_id, task.result, task.message
    )


async def load(task_id: int) -> ReaderTask | None:
    task: ReaderTask | None = await ReaderTask.objects().get(ReaderTask.id == task_id)
    return task


async def check_allowed(kind: str, customer_id: int) -> None:
    """What the till may ask for this customer (FormErrors naming `reader_task` else)."""
    if kind not in KINDS:
        raise FormErrors({"reader_task": "Choose what to ask on the reader."})
    customer = await directory.get(customer_id)
    if kind == SAVE_CARD:
        if not await protection.saving_allowed():
            raise FormErrors({"reader_task": NOT_SAVING})
        if not customer.email:
            raise FormErrors({"reader_task": NEEDS_EMAIL})


async def start(
    engine: Engine, kind: str, customer_id: int, receipt_id: int | None, reader_id: str, user_id: int, holder: str
) -> TaskView:
    """Write the task and hold its reader (ReaderBusy if a payment or another task has it), then
    send it to the reader."""
    await check_allowed(kind, customer_id)
    async with store.atomic():
        await store.lock_reader(reader_id)
        lease = await ReaderLease.select(ReaderLease.payment.state).where(
            (ReaderLease.reader_id == reader_id) & (ReaderLease.expires_at > store.now())
        )
        if any(row["payment.state"] in ACTIVE for row in lease):
            raise ReaderBusy(LEASED, "kiosk_reader_leased")
        await ReaderHold.delete().where((ReaderHold.reader_id == reader_id) & (ReaderHold.expires_at <= store.now()))
        if await ReaderHold.exists().where(ReaderHold.reader_id == reader_id):
            raise ReaderBusy(HELD, "kiosk_reader_held")
        row = ReaderTask(
            kind=kind,
            customer=customer_id,
            receipt=receipt_id,
            reader_id=reader_id,
            created_by=user_id,
            deadline=store.later(TASK_SECONDS),
        )
        task_id = int((await ReaderTask.insert(row).returning(ReaderTask.id))[0]["id"])
        await ReaderHold.insert(
            ReaderHold(reader_id=reader_id, task=task_id, holder=holder[:255], expires_at=store.later(HOLD_SECONDS))
        )
        name = (await directory.get(customer_id)).name
        what = "customer.save_card_on_reader" if kind == SAVE_CARD else "customer.ask_email_on_reader"
        await audit.record(user_id, what, name, {"customer": customer_id, "receipt": receipt_id, "reader": reader_id})
    return await advance(engine, task_id)


async def advance(engine: Engine, task_id: int) -> TaskView:
    """Move the task on from what Stripe says now (the till's poll); a finished task is answered as is."""
    task = await load(task_id)
    if task is None:
        raise LookupError(task_id)
    if task.state == STARTING:
        await _send(engine, task)
    elif task.state == RUNNING:
        await _follow(engine, task)
    fresh = await load(task_id)
    assert fresh is not None
    return _view(fresh)


async def _renew(task: ReaderTask) -> bool:
    """Keep the hold while the till follows the task; False when it has expired (or is gone)."""
    rows = (
        await ReaderHold.update({ReaderHold.expires_at: store.later(HOLD_SECONDS)})
        .where((ReaderHold.task == task.id) & (ReaderHold.expires_at > store.now()))
        .returning(ReaderHold.id)
    )
    return bool(rows)


async def _send(engine: Engine, task: ReaderTask) -> None:
    if not await _renew(task):
        # Interrupted before the reader got it, and the reader may be another's by now.
        await _cancel_setup(engine, task)
        await _finish(task, FAILED, message=INTERRUPTED)
        return
    gateway = engine.gateway
    try:
        if task.kind == SAVE_CARD:
            if not task.setup_intent_id:
                customer = await ensure_stripe_customer(gateway, int(task.customer))
                made = await gateway.create_setup_intent(
                    customer, kiosk_task=int(task.id), idempotency_key=f"{task.key}:setup"
                )
                kill_point("after_setup_intent")
                await ReaderTask.update({ReaderTask.setup_intent_id: made.id}).where(ReaderTask.id == task.id)
                task.setup_intent_id = made.id
            await gateway.process_setup_on_reader(
                task.reader_id, str(task.setup_intent_id), idempotency_key=f"{task.key}:process"
            )
        else:
            await gateway.ask_email_on_reader(
                task.reader_id, kiosk_task=int(task.id), idempotency_key=f"{task.key}:ask"
            )
    except ReaderOffline:
        await _cancel_setup(engine, task)
        await _finish(task, FAILED, message=OFFLINE)
        return
    except ReaderBusy:
        await _cancel_setup(engine, task)
        await _finish(
            task, FAILED, message="The reader is busy with another app or register: try again when it is free."
        )
        return
    except (StripeUnavailable, RateLimited, ReaderTimeout):
        return  # out of reach or unsure: the next poll sends again, under the same keys
    except PaymentError as exc:
        await _cancel_setup(engine, task)
        await _finish(task, FAILED, message=f"Stripe refused it: {exc.message}")
        return
    await ReaderTask.update({ReaderTask.state: RUNNING}).where(
        (ReaderTask.id == task.id) & (ReaderTask.state == STARTING)
    )


def _ours(task: ReaderTask, action: ReaderTaskAction | None) -> bool:
    if action is None:
        return False
    if task.kind == SAVE_CARD:
        return action.type == "process_setup_intent" and action.setup_intent_id == task.setup_intent_id
    return action.type == "collect_inputs" and (action.metadata or {}).get("kiosk_task") == str(task.id)


async def _follow(engine: Engine, task: ReaderTask) -> None:
    gateway = engine.gateway
    try:
        action = await gateway.reader_task_action(task.reader_id)
        if task.kind == SAVE_CARD and await _saved(engine, task):
            return
    except PaymentError:
        return  # not reachable now: asked again at the next poll
    ours = _ours(task, action)
    if ours and action is not None and action.status == "in_progress":
        if _past(task.deadline):
            await cancel(engine, int(task.id), None, TIMED_OUT)
        else:
            await _renew(task)
        return
    if not ours or action is None:
        await _finish(task, CANCELED, message=GONE)
    elif action.status == "failed":
        await _failed(task, action)
    elif task.kind == ASK_EMAIL and action.status == "succeeded":
        await _store_email(task, action)


def _past(moment: datetime) -> bool:
    return moment <= store.now()


async def _saved(engine: Engine, task: ReaderTask) -> bool:
    """The SetupIntent succeeded: keep the generated card (once) and end the task."""
    if not task.setup_intent_id:
        return False
    setup = await engine.gateway.retrieve_setup_intent(task.setup_intent_id)
    if setup.status != "succeeded" or not setup.generated_card:
        return False
    card = await engine.gateway.retrieve_saved_card(setup.generated_card)
    customer = await directory.get(int(task.customer))
    actor = int(task.created_by) if task.created_by is not None else 0
    await cards.remember_generated(
        customer.stripe_customer_id or "", card.id, card.brand, card.last4, card.exp_month, card.exp_year, actor
    )
    label = f"{(card.brand or 'card').title()} •••• {card.last4}, expires {card.exp_month:02d}/{card.exp_year}"
    await _finish(task, SUCCEEDED, result=label)
    return True


async def _failed(task: ReaderTask, action: ReaderTaskAction) -> None:
    code = action.failure_code or ""
    if code == "customer_canceled":
        await _finish(task, CANCELED, message=CUSTOMER_CANCELED)
    elif code == "input_collection_timed_out":
        await _finish(task, FAILED, message=INPUT_TIMED_OUT)
    elif code in ("reader_action_canceled", "canceled"):
        await _finish(task, CANCELED, message=CANCELED_AT_TILL)
    else:
        await _finish(task, FAILED, message=f"The reader could not do it: {action.failure_message or code}.")


async def _store_email(task: ReaderTask, action: ReaderTaskAction) -> None:
    if action.skipped or not action.email:
        await _finish(task, FAILED, message=SKIPPED)
        return
    try:
        email = directory.check_email(action.email)
    except FormErrors as exc:
        await _finish(task, FAILED, message=f"Not stored: {exc.errors['email']} Ask again or type it.")
        return
    current = await directory.get(int(task.customer))
    form = directory.CustomerForm(current.name, email, current.phone, current.note)
    actor = int(task.created_by) if task.created_by is not None else 0
    await directory.update(current.id, form, actor)
    await _finish(task, SUCCEEDED, result=email)


async def cancel(engine: Engine, task_id: int, user_id: int | None, message: str = CANCELED_AT_TILL) -> TaskView:
    """Cancel at the till (or at the deadline): the reader's action is canceled if it is still ours;
    a card saved meanwhile is kept and said so."""
    task = await load(task_id)
    if task is None:
        raise LookupError(task_id)
    if task.state in FINAL:
        return _view(task)
    gateway = engine.gateway
    try:
        action = await gateway.reader_task_action(task.reader_id)
        if _ours(task, action) and action is not None and action.status == "in_progress":
            await gateway.cancel_action(task.reader_id, idempotency_key=f"{task.key}:cancel")
        if task.kind == SAVE_CARD and await _saved(engine, task):
            fresh = await load(task_id)
            assert fresh is not None
            return _view(fresh)
    except PaymentError as exc:
        logger.info("reader task %s: cancel could not reach Stripe: %s", task_id, exc)
    await _cancel_setup(engine, task)
    await _finish(task, CANCELED, message=message, actor=user_id)
    fresh = await load(task_id)
    assert fresh is not None
    return _view(fresh)


async def _cancel_setup(engine: Engine, task: ReaderTask) -> None:
    """A SetupIntent that will not be processed is canceled at Stripe (best effort: it saves nothing)."""
    if task.kind != SAVE_CARD or not task.setup_intent_id:
        return
    try:
        await engine.gateway.cancel_setup_intent(task.setup_intent_id, idempotency_key=f"{task.key}:cancel-setup")
    except PaymentError as exc:
        logger.info("reader task %s: SetupIntent not canceled: %s", task.id, exc)


async def _finish(
    task: ReaderTask, state: str, *, result: str = "", message: str = "", actor: int | None = None
) -> None:
    """End the task once (a replay finds it ended) and free its reader, audited."""
    async with store.atomic():
        ended = (
            await ReaderTask.update({ReaderTask.state: state, ReaderTask.result: result, ReaderTask.message: message})
            .where((ReaderTask.id == task.id) & ReaderTask.state.not_in(list(FINAL)))
            .returning(ReaderTask.id)
        )
        await ReaderHold.delete().where(ReaderHold.task == task.id)
        if ended:
            who = actor if actor is not None else (int(task.created_by) if task.created_by is not None else 0)
            detail = {"task": int(task.id), "kind": task.kind, "state": state, "result": result, "message": message}
            await audit.record(who, f"customer.reader_task_{state}", f"customer #{task.customer}", detail)


async def sweep(engine: Engine, limit: int = 20) -> int:
    """The reconciler's pass over tasks nobody follows any more (their hold expired: the tab was
    closed, the server died) or past their deadline: each is read at Stripe once and ended (a card
    the customer saved meanwhile is kept). How many were looked at."""
    live = ReaderHold.select(ReaderHold.task).where(ReaderHold.expires_at > store.now())
    unfollowed = ReaderTask.id.not_in(live) | (ReaderTask.deadline <= store.now())
    rows = (
        await ReaderTask.select(ReaderTask.id)
        .where(ReaderTask.state.is_in([STARTING, RUNNING]) & unfollowed)
        .limit(limit)
    )
    for row in rows:
        await advance(engine, int(row["id"]))
    return len(rows)
