"""Piccolo tables of the payments engine: card payments, webhook events, reader leases, logs.

One `Payment` row per card tender. The row is written before Stripe is called, so a crash at any
point leaves a record to resume from; `key` is the base of every idempotency key of that payment.
"""

from __future__ import annotations

import uuid

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from kiosk.shop.tables import Receipt


class Payment(Table):
    """A card tender: one PaymentIntent, sent to a reader once per attempt."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    receipt: ForeignKey[Table] = ForeignKey(references=Receipt, on_delete=OnDelete.restrict, index=True)
    amount = Integer()
    currency = Varchar(length=3)
    # creating, intent_created, on_reader, collecting, collected, succeeded, requires_capture,
    # captured, declined, canceled, needs_attention (see kiosk.payments.states).
    state = Varchar(length=32, default="creating", index=True)
    # automatic | manual, fixed when the payment starts so a settings change cannot strand it.
    capture_method = Varchar(length=16, default="automatic")
    # Manual capture only: keep the authorization for an admin to capture or cancel later (the
    # receipt closes at authorization) rather than capture it at once. Fixed when the payment starts.
    keep_for_capture = Boolean(default=False)
    # Whether the customer may cancel on the reader, fixed when the payment starts.
    customer_cancellation = Boolean(default=True)
    # The card brands accepted, fixed when the payment starts (kiosk.payments.brands): "" = every
    # brand (one step, process_payment_intent); else collect, check the brand, then confirm.
    accepted_brands = Varchar(length=255, default="")
    reader_id = Varchar(length=64, null=True, default=None)
    # Shown in "present card on <label>" by polls that must not ask Stripe.
    reader_label = Varchar(length=255, default="")
    payment_intent_id = Varchar(length=255, null=True, default=None, unique=True)
    # The PaymentIntent status last seen (webhook or read), for support and the cashier's view.
    intent_status = Varchar(length=40, default="")
    key = UUID(default=uuid.uuid4, unique=True)
    attempt = Integer(default=0)
    failure_code = Varchar(length=100, null=True, default=None)
    decline_code = Varchar(length=100, null=True, default=None)
    failure_message = Text(null=True, default=None)
    # Why the cashier must look at it (needs_attention), in plain language.
    attention_reason = Text(null=True, default=None)
    card_brand = Varchar(length=40, null=True, default=None)
    card_last4 = Varchar(length=4, null=True, default=None)
    # read_method, authorization_code and the EMV receipt fields Stripe returns.
    card_details = JSON(default="{}")
    capture_before = Timestamptz(null=True, default=None)
    # Money refunded at Stripe as charge.refunded last reported it (refunds made outside the kiosk
    # included); the kiosk's own refunds are rows of kiosk.refund_tables.Refund.
    amount_refunded = Integer(default=0)
    # Whether the reader may offer the customer a tip (the warehouse's setting when the payment
    # started, sent as process_config.skip_tipping = not tipping; fixed for the idempotency key).
    tipping = Boolean(default=False)
    # The tip Stripe reports in the PaymentIntent's amount_details.tip.amount (0: none). `amount` is
    # what the receipt asked; Stripe takes amount + tip. The day's figures read tips from here.
    tip_amount = Integer(default=0)
    # What Stripe took (amount_received, or amount_capturable for an authorization), as last read
    # from the PaymentIntent; None until Stripe has said. The receipt's paid total is built from it.
    amount_charged = Integer(null=True, default=None)
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # When the current attempt was sent to the reader (a long wait says "may not have completed").
    sent_at = Timestamptz(null=True, default=None)
    settled_at = Timestamptz(null=True, default=None)
    last_checked_at = Timestamptz(null=True, default=None)
    # When the reconciler should ask Stripe if no webhook has moved the payment by then.
    reconcile_after = Timestamptz(null=True, default=None, index=True)
    # The receipt's customer, fixed when the payment starts (kiosk/customers/attach.py): the
    # email Stripe sends its receipt to, the Stripe Customer, and whether the card tapped is saved.
    receipt_email = Varchar(length=254, default="")
    stripe_customer = Varchar(length=64, default="")
    save_card = Boolean(default=False)
    # A saved card charged without the card present (off-session): its PaymentMethod id. No reader.
    saved_card = Varchar(length=64, null=True, default=None)


class WebhookEvent(Table):
    """Each Stripe event id recorded once, in the same transaction as the change it caused."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    event_id = Varchar(length=255, unique=True)
    type = Varchar(length=100)
    received_at = Timestamptz(default=TimestamptzNow())
    payment = ForeignKey(references=Payment, null=True, default=None, on_delete=OnDelete.set_null)
    # What the event did: "applied", or why it changed nothing.
    outcome = Varchar(length=255, default="")


class ReaderLease(Table):
    """Which payment may send to a reader: two tills cannot both send to one reader. A refund on the
    reader (Interac) holds it too: then `refund` is that refund and `payment` the payment refunded."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    reader_id = Varchar(length=64, unique=True)
    payment = ForeignKey(references=Payment, on_delete=OnDelete.cascade)
    refund: ForeignKey[Table] = ForeignKey(
        references=LazyTableReference("Refund", module_path=__name__),
        null=True,
        default=None,
        on_delete=OnDelete.cascade,
    )
    # The till holding it (session id and user), for the "busy" message and support.
    holder = Varchar(length=255, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class PaymentLog(Table):
    """What happened to a payment, step by step, for support."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    payment = ForeignKey(references=Payment, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())
    step = Varchar(length=64)
    detail = Text(default="")
    # A move to `declined`: the decline code (else the failure code), so the day's close counts
    # every declined attempt by reason, also those a retry later paid.
    code = Varchar(length=100, null=True, default=None)


class PaymentLease(Table):
    """One server process at a time acts on a payment (several servers share one database)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    payment = ForeignKey(references=Payment, unique=True, on_delete=OnDelete.cascade)
    # host/pid-namespace/pid/nonce of the holding process (kiosk.leases.HOLDER), for takeover and support.
    holder = Varchar(length=255)
    taken_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)


class Refund(Table):
    """Money given back on a captured card payment, in full or in part."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    payment = ForeignKey(references=Payment, on_delete=OnDelete.restrict, index=True)
    # 1, 2, ... per payment for refunds the kiosk made (part of the idempotency key); None otherwise.
    sequence = Integer(null=True, default=None)
    amount = Integer()
    currency = Varchar(length=3)
    # Stripe's reason: requested_by_customer | duplicate | fraudulent.
    reason = Varchar(length=32, default="requested_by_customer")
    note = Text(default="")
    # creating (not yet confirmed by Stripe), pending, requires_action, succeeded, failed, canceled.
    state = Varchar(length=24, default="creating", index=True)
    stripe_refund_id = Varchar(length=255, null=True, default=None, unique=True)
    failure_message = Text(null=True, default=None)
    # The refund form's one-time token: a double submit finds the refund already made.
    request_key = Varchar(length=64, null=True, default=None, unique=True)
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Refunded in person on a reader (Interac: Stripe refunds it only when the customer taps the card
    # that paid), not by refunds.create; see kiosk.payments.refunds.on_reader.
    in_person = Boolean(default=False)
    # Where the in-person refund stands: "" (no reader chosen yet), sending, on_reader, failed (the
    # reader said no: the cashier may try again). Its money's state is `state`, as for any refund.
    reader_step = Varchar(length=16, default="")
    reader_id = Varchar(length=64, null=True, default=None)
    reader_label = Varchar(length=255, default="")
    # Each send to a reader is an attempt (part of its idempotency key and of the action's metadata).
    attempt = Integer(default=0)
    failure_code = Varchar(length=100, null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    # When to ask Stripe if no webhook has settled the in-person refund by then.
    reconcile_after = Timestamptz(null=True, default=None, index=True)


class ReaderDisplay(Table):
    """What the kiosk last put on a reader's screen outside a payment: a receipt's cart.

    `sending_until` is set while a set_reader_display / cancel_action call is under way: a payment
    sent to that reader waits for it (kiosk.payments.cart_display), so a cart never lands on top
    of a payment."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    reader_id = Varchar(length=64, unique=True)
    # The receipt whose cart is shown (None: nothing of ours is shown).
    receipt = ForeignKey(references=Receipt, null=True, default=None, on_delete=OnDelete.set_null)
    sending_until = Timestamptz(null=True, default=None)
    # Counts the calls made for this reader: each one's idempotency key (a cart shown again later
    # is a new call, never a replay of the first).
    sequence = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class ReaderTask(Table):
    """A reader action that is not a payment, asked at the till for a customer: save their card
    without paying (`save_card`: a SetupIntent processed on the reader) or ask their email on the
    reader (`ask_email`: collect_inputs). Its `key` derives every idempotency key of its Stripe calls."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    kind = Varchar(length=16)  # save_card | ask_email
    customer = Integer()  # the kiosk customer (kiosk/customers), a plain number: no arrow up
    receipt = Integer(null=True, default=None)  # the receipt it was asked from, if any
    reader_id = Varchar(length=64)
    # starting (row written, Stripe being asked) | running (on the reader) | succeeded | failed | canceled
    state = Varchar(length=16, default="starting", index=True)
    setup_intent_id = Varchar(length=64, null=True, default=None)
    result = Varchar(length=255, default="")  # "Visa •••• 4242, expires 12/2030" or the email stored
    message = Varchar(length=500, default="")  # why it failed, in plain words
    key = UUID(default=uuid.uuid4, unique=True)
    created_by = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    # Past this, the task is read at Stripe and ended, whatever the reader said (timeout release).
    deadline = Timestamptz()


class ReaderHold(Table):
    """A reader held by a `ReaderTask`: no payment is sent to it (and no other task) until the task
    ends or the hold expires. One row per reader (unique), like a payment's `ReaderLease`."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    reader_id = Varchar(length=64, unique=True)
    task = ForeignKey(references=ReaderTask, on_delete=OnDelete.cascade, unique=True)
    holder = Varchar(length=255, default="")
    expires_at = Timestamptz()
