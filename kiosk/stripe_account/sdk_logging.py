"""The SDK's log lines, written only when someone reads them.

For every call the SDK's requestor formats four or five log lines (`stripe._util.log_info` and
`log_debug`: the request, its form body, the answer's code, the answer's whole body), each through
`logfmt`, which runs a regular expression over every value (the body included) and escapes it,
before asking whether the `stripe` logger or `stripe.log`/`STRIPE_LOG` wants the line at all. By
default nothing does, so the kiosk paid for text it threw away: about a quarter of a millisecond of
server CPU per card sale, more than its own HTTP client spends on the same calls.

`install()` puts in the requestor's place the same two functions, which first ask. When the line
is wanted (the logger enabled for its level, or console logging asked for by `stripe.log` or
`STRIPE_LOG`), the SDK's own function writes it, so the text and where it goes are unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stripe import _api_requestor, _util

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def _wanted(level: int) -> bool:
    """Whether the SDK's line of `level` would be written anywhere (as `_util.log_*` decide)."""
    console = _util._console_log_level()  # type: ignore[no-untyped-call]  # stripe.log, then STRIPE_LOG
    if console is not None and level >= _LEVELS[console]:
        return True
    return _util.logger.isEnabledFor(level)


def _asking(level: int, write: Callable[..., None]) -> Callable[..., None]:
    def log(message: str, **params: Any) -> None:
        if _wanted(level):
            write(message, **params)

    log.__wrapped__ = write  # type: ignore[attr-defined]
    return log


def install() -> None:
    """The requestor's log functions ask before they format (once per process; idempotent)."""
    if getattr(getattr(_api_requestor, "log_info", None), "__wrapped__", None) is _util.log_info:
        return
    _api_requestor.log_info = _asking(logging.INFO, _util.log_info)  # type: ignore[attr-defined]
    _api_requestor.log_debug = _asking(logging.DEBUG, _util.log_debug)  # type: ignore[attr-defined]
