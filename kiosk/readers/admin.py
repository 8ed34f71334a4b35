"""Registering, renaming and removing Terminal readers for the admin pages. No HTTP.

Every change is made at Stripe (readers are Stripe's objects) and then written to the audit log.
Refused input raises FormErrors by field before Stripe is called; Stripe's refusals naming a
parameter (e.g. an expired registration code) come back on that field.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.audit import trail as audit
from kiosk.forms import FormErrors
from kiosk.readers import snapshot as reader_snapshot
from kiosk.stripe_account.admin_gateway import AdminStripeError, StripeAdmin
from kiosk.stripe_account.admin_objects import Reader

MAX_LABEL = 100

# Friendly names for Stripe's device types; others are shown from their code.
DEVICES = {
    "bbpos_wisepos_e": "WisePOS E",
    "simulated_wisepos_e": "WisePOS E (simulated)",
    "stripe_s700": "Stripe Reader S700",
    "simulated_stripe_s700": "Stripe Reader S700 (simulated)",
    "stripe_s710": "Stripe Reader S710",
    "simulated_stripe_s710": "Stripe Reader S710 (simulated)",
    "verifone_P400": "Verifone P400",
}


def device_name(device_type: str) -> str:
    return DEVICES.get(device_type, device_type.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Registration:
    registration_code: str
    label: str
    location: str


def _label_problem(label: str) -> str | None:
    if not label:
        return "Give the reader a label the cashiers will recognise, like “Till 1”."
    if len(label) > MAX_LABEL:
        return f"At most {MAX_LABEL} characters."
    return None


def registration_form(form: dict[str, str], locations: set[str]) -> Registration:
    code, label, location = (form.get(k, "").strip() for k in ("registration_code", "label", "location"))
    errors: dict[str, str] = {}
    if not code:
        errors["registration_code"] = "Enter the code the reader shows (Settings → Generate pairing code)."
    if problem := _label_problem(label):
        errors["label"] = problem
    if location not in locations:
        errors["location"] = "Choose the location the reader is at (create one on the Locations page first)."
    if errors:
        raise FormErrors(errors)
    return Registration(code, label, location)


def checked_label(text: str) -> str:
    label = text.strip()
    if problem := _label_problem(label):
        raise FormErrors({"label": problem})
    return label


def _on_field(exc: AdminStripeError, default: str) -> FormErrors:
    field = exc.param if exc.param in ("registration_code", "label", "location") else default
    return FormErrors({field: exc.message})


async def register(stripe: StripeAdmin, registration: Registration, actor_id: int) -> Reader:
    """https://docs.stripe.com/api/terminal/readers/create"""
    try:
        reader = await stripe.register_reader(registration.registration_code, registration.label, registration.location)
    except AdminStripeError as exc:
        raise _on_field(exc, "_form") from exc
    detail = {"id": reader.id, "location": registration.location, "device_type": reader.device_type}
    await audit.record(actor_id, "reader.register", f"reader {reader.label}", detail)
    await reader_snapshot.expire_all()
    return reader


async def rename(stripe: StripeAdmin, reader_id: str, label: str, actor_id: int) -> Reader:
    try:
        reader = await stripe.rename_reader(reader_id, label)
    except AdminStripeError as exc:
        raise _on_field(exc, "label") from exc
    await audit.record(actor_id, "reader.rename", f"reader {reader.id}", {"to": label})
    await reader_snapshot.expire_all()
    return reader


async def remove(stripe: StripeAdmin, reader_id: str, actor_id: int) -> None:
    try:
        await stripe.remove_reader(reader_id)
    except AdminStripeError as exc:
        raise FormErrors({"_form": exc.message}) from exc
    await audit.record(actor_id, "reader.remove", f"reader {reader_id}", {})
    await reader_snapshot.expire_all()
