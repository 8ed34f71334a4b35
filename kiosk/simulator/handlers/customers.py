"""Customers: https://docs.stripe.com/api/customers (enough for receipts and saved contact details)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import (
    Origin,
    created_matches,
    deleted,
    emit,
    get,
    merge_metadata,
    refuse_unsupported,
    snapshot,
)

JSON = dict[str, Any]
KIND = "customer"
_PLAIN = ("description", "email", "name", "phone", "invoice_prefix")
PARAMS = frozenset({*_PLAIN, "address", "metadata", "preferred_locales", "shipping"})
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _customer(call: Call) -> JSON:
    return get(call.sim, KIND, call.path["customer"], param="customer")


def _address(value: Any) -> JSON | None:
    if not value:
        return None
    return {key: value.get(key) for key in _ADDRESS_KEYS}


def _shipping(value: Any) -> JSON | None:
    if not value:
        return None
    return {"address": _address(value.get("address")), "name": value.get("name"), "phone": value.get("phone")}


def _apply(customer: JSON, params: JSON) -> None:
    for name in _PLAIN:
        if name in params:
            customer[name] = params[name] or None
    if "address" in params:
        customer["address"] = _address(params["address"])
    if "shipping" in params:
        customer["shipping"] = _shipping(params["shipping"])
    if "preferred_locales" in params:
        customer["preferred_locales"] = list(params["preferred_locales"] or [])
    if "metadata" in params:
        customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])


@endpoint("post", "/v1/customers")
def create_customer(call: Call) -> JSON:
    refuse_unsupported(call.params, PARAMS, "customers")
    customer: JSON = {
        "id": new_id("cus", 14),
        "object": KIND,
        "address": None,
        "balance": 0,
        "created": call.sim.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    _apply(customer, call.params)
    call.sim.table(KIND)[customer["id"]] = customer
    emit(call.sim, "customer.created", customer, Origin.of(call))
    return snapshot(customer)


@endpoint("get", "/v1/customers/{customer}")
def retrieve_customer(call: Call) -> JSON:
    return snapshot(_customer(call))


@endpoint("post", "/v1/customers/{customer}")
def update_customer(call: Call) -> JSON:
    refuse_unsupported(call.params, PARAMS - {"invoice_prefix"}, "customer updates")
    customer = _customer(call)
    before = snapshot(customer)
    _apply(customer, call.params)
    previous = {key: before[key] for key in customer if customer[key] != before[key]}
    emit(call.sim, "customer.updated", customer, Origin.of(call), previous)
    return snapshot(customer)


@endpoint("get", "/v1/customers")
def list_customers(call: Call) -> JSON:
    email, created = call.params.get("email"), call.params.get("created")
    found = [
        c
        for c in call.sim.table(KIND).values()
        if email in (None, c["email"]) and created_matches(c["created"], created)
    ]
    return paginate(found, call.params, "/v1/customers", kind="customer")


@endpoint("delete", "/v1/customers/{customer}")
def delete_customer(call: Call) -> JSON:
    customer = call.sim.table(KIND).pop(_customer(call)["id"])
    emit(call.sim, "customer.deleted", customer, Origin.of(call))
    return deleted(customer)


# One clause of Stripe's search query language: field:'value' (exact) or field~'value' (contains).
_CLAUSE = re.compile(r"""^\s*(email|name|phone|metadata\[['"](\w+)['"]\])\s*([:~])\s*['"]([^'"]*)['"]\s*$""")


def _matcher(query: str) -> tuple[list[tuple[str, str | None, str, str]], str]:
    """The clauses of a query and how they join (AND or OR; Stripe does not allow both)."""
    joins = {j.upper() for j in re.findall(r"\s(AND|OR|and|or)\s", query)}
    if len(joins) > 1:
        raise invalid("Search queries cannot mix AND and OR.", code="search_query_invalid", param="query")
    join = joins.pop() if joins else "AND"
    clauses = []
    for text in re.split(r"\s(?:AND|OR|and|or)\s", query):
        found = _CLAUSE.match(text)
        if found is None:
            raise invalid(
                f"The query `{text.strip()}` is not supported: use email, name, phone or metadata['key'] "
                "with : (exact) or ~ (contains).",
                code="search_query_invalid",
                param="query",
            )
        field, meta_key, op, value = found.groups()
        clauses.append((field, meta_key, op, value))
    return clauses, join


def _matches(customer: JSON, clause: tuple[str, str | None, str, str]) -> bool:
    field, meta_key, op, value = clause
    have = str((customer["metadata"].get(meta_key) if meta_key else customer.get(field)) or "")
    if op == ":":
        return have.lower() == value.lower() if field == "email" else have == value
    return len(value) >= 3 and value.lower() in have.lower()


@endpoint("get", "/v1/customers/search")
def search_customers(call: Call) -> JSON:
    """https://docs.stripe.com/search#search-query-language (the customers' fields the kiosk uses)."""
    clauses, join = _matcher(str(call.params["query"]))
    combine = all if join == "AND" else any
    found = [c for c in call.sim.table(KIND).values() if combine(_matches(c, clause) for clause in clauses)]
    limit = int(call.params.get("limit") or 10)
    newest = sorted(found, key=lambda c: -c["created"])
    return {
        "object": "search_result",
        "data": [snapshot(c) for c in newest[:limit]],
        "has_more": len(newest) > limit,
        "next_page": None,
        "url": "/v1/customers/search",
    }
