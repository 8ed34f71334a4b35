"""A test-only hook that kills the server process at a named step of a payment.

`KIOSK_FAULT_KILL_AT=after_intent kiosk serve` dies with SIGKILL the first time a payment reaches
`after_intent`, exactly as a power cut or an OOM kill would: no `finally`, no commit, no goodbye.
The fault suite (tests/faults) restarts the server without the variable and checks that the payment
is finished correctly. The variable is read once at import, so in production (unset) each step costs
one comparison of two strings.

The named steps:
- `before_intent`   the payment row is written; Stripe has not been asked to create the intent
- `after_intent`    Stripe created the PaymentIntent; its id is not recorded yet
- `after_send`      the reader accepted process_payment_intent; `on_reader` is not recorded yet
- `after_collect`   two steps: the reader accepted collect_payment_method; `collecting` is not recorded
- `after_confirm`   two steps: the reader accepted confirm_payment_intent; `on_reader` is not recorded
- `webhook_applied` a webhook's change is written inside its transaction, not committed yet
- `before_capture`  manual capture: the capture is about to be sent to Stripe
- `after_capture`   manual capture: Stripe captured; the capture is not recorded yet
- `before_refund`   a refund's row is committed; Stripe has not been asked to refund
- `after_refund`    Stripe made the refund; the kiosk has not recorded its answer yet
- `before_reader_refund` an in-person refund is leased its reader (committed); the reader not asked yet
- `after_reader_refund`  the reader took the in-person refund; `on_reader` is not recorded yet
- `after_setup_intent` a reader task: Stripe created the SetupIntent; its id is not recorded yet and
                    the reader has not been sent it (kiosk/payments/reader_tasks.py)
"""

from __future__ import annotations

import os
import signal

STEPS = frozenset(
    {
        "before_intent",
        "after_intent",
        "after_send",
        "after_collect",
        "after_confirm",
        "webhook_applied",
        "before_capture",
        "after_capture",
        "before_refund",
        "after_refund",
        "before_reader_refund",
        "after_reader_refund",
        "after_setup_intent",
    }
)
ENV = "KIOSK_FAULT_KILL_AT"
_KILL_AT = os.environ.get(ENV) or None
if _KILL_AT is not None and _KILL_AT not in STEPS:
    raise ValueError(f"{ENV}={_KILL_AT!r} names no step; one of {', '.join(sorted(STEPS))}")


def kill_point(step: str) -> None:
    """Die here, at once, when the environment names this step (test-only)."""
    if step == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
