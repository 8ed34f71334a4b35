"""The Stripe configuration: publishable key, secret or restricted key, webhook signing secret.

Stored in the settings table (secrets encrypted) by the admin pages; a value never stored there
falls back to the KIOSK_STRIPE_* environment, so an installation configured by environment keeps
working. No HTTP and no Stripe calls here: the admin routes verify through the admin gateway.
Secrets never leave this module except to the gateway: pages get `masked()` forms only.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from typing import Literal, Protocol

from litestar import Litestar

from kiosk.audit import trail as audit
from kiosk.config import Settings
from kiosk.db import settings as settings_store
from kiosk.db.secret_box import SecretBox

PUBLISHABLE = "stripe.publishable_key"
# Setting names, not secrets:
SECRET = "stripe.secret_key"  # noqa: S105
WEBHOOK_SECRET = "stripe.webhook_secret"  # noqa: S105
WEBHOOK_ENDPOINT = "stripe.webhook_endpoint_id"
WEBHOOK_URL = "stripe.webhook_url"
ACCOUNT = "stripe.account"
NAMES = (PUBLISHABLE, SECRET, WEBHOOK_SECRET, WEBHOOK_ENDPOINT, WEBHOOK_URL, ACCOUNT)
ENCRYPTED = (SECRET, WEBHOOK_SECRET)

Mode = Literal["test", "live"]
# Stripe's API keys: a kind and a mode, then letters, digits and underscores (Stripe's own keys
# are base62, but keys it issues may carry more underscores, like the demo's `sk_test_kiosk_demo`);
# anything else (spaces, other punctuation) is not a key Stripe issued.
_API_KEY = re.compile(r"^(pk|sk|rk)_(test|live)_(?=[A-Za-z0-9_]*[A-Za-z0-9])[A-Za-z0-9_]{1,255}$")
_WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=_-]{1,255}$")
KINDS = {"pk": "publishable", "sk": "secret", "rk": "restricted"}


@dataclass(frozen=True)
class KeyInfo:
    kind: str  # publishable | secret | restricted | webhook
    mode: Mode | None


def classify(key: str) -> KeyInfo | None:
    """What a string looks like as a Stripe credential, or None when it looks like none."""
    match = _API_KEY.match(key)
    if match:
        mode: Mode = "test" if match.group(2) == "test" else "live"
        return KeyInfo(KINDS[match.group(1)], mode)
    return KeyInfo("webhook", None) if _WEBHOOK_SECRET.match(key) else None


def masked(secret: str | None) -> str:
    """Enough to recognise a key (its kind and last four characters), never enough to use it."""
    if not secret:
        return ""
    prefix = re.match(r"^(?:(?:pk|sk|rk)_(?:test|live)_|whsec_)", secret)
    return f"{prefix.group(0) if prefix else ''}••••{secret[-4:]}"


@dataclass(frozen=True)
class Account:
    """What Stripe said about the account at the last successful verification."""

    id: str
    name: str
    livemode: bool
    # Where the account is (ISO 3166 alpha-2, "US") and the currency it settles in ("usd"); blank
    # when not read yet (accounts verified before these were kept).
    country: str = ""
    default_currency: str = ""


@dataclass(frozen=True)
class StripeConfig:
    publishable_key: str | None = None
    secret_key: str | None = None
    webhook_secret: str | None = None
    webhook_endpoint_id: str | None = None
    webhook_url: str | None = None
    account: Account | None = None
    # Setting names that come from the environment rather than the admin pages.
    from_environment: frozenset[str] = frozenset()
    # Stored secrets this process cannot decrypt (KIOSK_SECRET_KEY changed): to be entered again.
    unreadable: frozenset[str] = frozenset()

    @property
    def mode(self) -> Mode | None:
        """Test or live, from the secret key (else the publishable one); None when unconfigured."""
        for key in (self.secret_key, self.publishable_key):
            info = classify(key) if key else None
            if info and info.mode:
                return info.mode
        return None

    def applied_to(self, settings: Settings) -> Settings:
        """The settings the payments engine runs with: these keys instead of the environment's."""
        return replace(settings, stripe_secret_key=self.secret_key, stripe_webhook_secret=self.webhook_secret)

    @property
    def fingerprint(self) -> tuple[str | None, str | None]:
        """What the payments engine depends on: a change gives it a new gateway."""
        return (self.secret_key, self.webhook_secret)


def _account(text: str | None) -> Account | None:
    if not text:
        return None
    data = json.loads(text)
    return Account(
        str(data["id"]),
        str(data.get("name") or ""),
        bool(data.get("livemode")),
        str(data.get("country") or ""),
        str(data.get("default_currency") or ""),
    )


async def load(settings: Settings) -> StripeConfig:
    stored = await settings_store.read(NAMES, SecretBox.from_settings(settings))
    environment = {SECRET: settings.stripe_secret_key, WEBHOOK_SECRET: settings.stripe_webhook_secret}
    from_env = frozenset(name for name, value in environment.items() if value and stored.get(name) is None)
    return StripeConfig(
        publishable_key=stored.get(PUBLISHABLE),
        secret_key=stored.get(SECRET) or settings.stripe_secret_key,
        webhook_secret=stored.get(WEBHOOK_SECRET) or settings.stripe_webhook_secret,
        webhook_endpoint_id=stored.get(WEBHOOK_ENDPOINT),
        webhook_url=stored.get(WEBHOOK_URL),
        account=_account(stored.get(ACCOUNT)),
        from_environment=from_env,
        unreadable=stored.unreadable,
    )


@dataclass(frozen=True)
class KeyEntry:
    """What the admin typed; an empty secret field means "keep the stored one"."""

    publishable_key: str = ""
    secret_key: str = ""
    webhook_secret: str = ""

    def stripped(self) -> KeyEntry:
        return KeyEntry(self.publishable_key.strip(), self.secret_key.strip(), self.webhook_secret.strip())


def resolve(entry: KeyEntry, current: StripeConfig) -> StripeConfig:
    """The configuration the entry would give: typed values win, blank secrets keep the current ones."""
    entry = entry.stripped()
    return replace(
        current,
        publishable_key=entry.publishable_key or None,
        secret_key=entry.secret_key or current.secret_key,
        webhook_secret=entry.webhook_secret or current.webhook_secret,
    )


def _publishable_problem(key: str) -> str | None:
    info = classify(key)
    if info is None or info.kind == "webhook":
        return "This is not a publishable key: it starts with pk_test_ or pk_live_."
    if info.kind != "publishable":
        return f"This is a {info.kind} key: it must never be shown. Put it in the secret key field."
    return None


def _secret_problem(key: str | None) -> str | None:
    if not key:
        return "Enter the secret key (sk_…) or a restricted key (rk_…)."
    info = classify(key)
    if info is None:
        return "This is not a Stripe API key: it starts with sk_test_, sk_live_, rk_test_ or rk_live_."
    if info.kind == "publishable":
        return (
            "This is a publishable key (pk_…). The kiosk needs the secret key (sk_…) or a restricted key (rk_…) here."
        )
    if info.kind == "webhook":
        return "This is a webhook signing secret (whsec_…): it belongs in the webhook signing secret field."
    return None


def check(entry: KeyEntry, current: StripeConfig) -> tuple[StripeConfig, dict[str, str]]:
    """The resolved configuration and the problems found without asking Stripe, by form field."""
    entry = entry.stripped()
    config = resolve(entry, current)
    errors: dict[str, str] = {}
    if entry.publishable_key and (problem := _publishable_problem(entry.publishable_key)):
        errors["publishable_key"] = problem
    if problem := _secret_problem(config.secret_key):
        errors["secret_key"] = problem
    if entry.webhook_secret and classify(entry.webhook_secret) != KeyInfo("webhook", None):
        errors["webhook_secret"] = "This is not a webhook signing secret: it starts with whsec_."  # noqa: S105
    if not errors and config.publishable_key and config.secret_key:
        publishable, secret = classify(config.publishable_key), classify(config.secret_key)
        if publishable and secret and publishable.mode != secret.mode:
            errors["publishable_key"] = (
                f"This is a {publishable.mode} mode key but the secret key is a {secret.mode} mode key: "
                "both must come from the same mode."
            )
    return config, errors


async def save_keys(settings: Settings, entry: KeyEntry, account: Account | None, actor_id: int) -> None:
    """Store what the admin typed (blank secrets stay as they are) and the account Stripe named."""
    entry = entry.stripped()
    account_text = json.dumps(asdict(account)) if account else None
    changes: dict[str, str | None] = {PUBLISHABLE: entry.publishable_key or None, ACCOUNT: account_text}
    if entry.secret_key:
        changes[SECRET] = entry.secret_key
    if entry.webhook_secret:
        changes[WEBHOOK_SECRET] = entry.webhook_secret
    detail: dict[str, str | None] = {
        "publishable_key": entry.publishable_key or None,
        "secret_key": masked(entry.secret_key) if entry.secret_key else "unchanged",
        "webhook_secret": masked(entry.webhook_secret) if entry.webhook_secret else "unchanged",
        "account": account.id if account else None,
    }

    async def audit_entry() -> None:
        await audit.record(actor_id, "stripe.keys.update", "Stripe keys", detail)

    box = SecretBox.from_settings(settings)
    await settings_store.write(changes, box, secret=ENCRYPTED, actor_id=actor_id, audit=audit_entry)


async def save_webhook(settings: Settings, endpoint_id: str, url: str, secret: str, actor_id: int) -> None:
    """Store a freshly registered webhook endpoint and the signing secret Stripe returned once."""
    changes = {WEBHOOK_ENDPOINT: endpoint_id, WEBHOOK_URL: url, WEBHOOK_SECRET: secret}

    async def audit_entry() -> None:
        await audit.record(actor_id, "stripe.webhook.register", f"webhook endpoint {endpoint_id}", {"url": url})

    box = SecretBox.from_settings(settings)
    await settings_store.write(changes, box, secret=ENCRYPTED, actor_id=actor_id, audit=audit_entry)


class KeysInForce(Protocol):
    """The Stripe keys this process runs with: the environment's settings (`base`) and the stored keys
    in force (`config`). Kept by the payments runtime (kiosk/payments/runtime.py), which restarts
    the payments engine when they change; `reload()` returns once this process runs with the keys
    just saved."""

    base: Settings
    config: StripeConfig

    async def reload(self) -> None: ...


def keys_in_force(app: Litestar) -> KeysInForce:
    keys: KeysInForce = app.state.stripe_runtime
    return keys
