"""Stripe's form and query-string encoding, decoded into nested dicts and lists.

The SDK flattens ``{"process_config": {"tipping": {"amount_eligible": 500}}, "expand": ["a", "b"]}``
into ``process_config[tipping][amount_eligible]=500&expand[0]=a&expand[1]=b``. Decoding gives back
nested dicts of strings; indexed arrays stay dicts keyed by ``"0"``, ``"1"``... because only the
params schema knows whether ``metadata[0]`` is an array item or a metadata key. ``key[]=v`` (the
style Stripe's own list URLs use for ``expand[]``) appends to a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from kiosk.simulator.errors import StripeError, invalid

JSON = dict[str, Any]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    """``"a[b][0][]"`` -> ``["a", "b", "0", ""]``; a malformed key is Stripe's 400."""
    found = _KEY.match(key)
    if not found:
        raise invalid(f"Invalid parameter name: {key}", param=key)
    return [found.group(1), *_SEGMENT.findall(found.group(2))]


def _bracketed(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def _conflict(path: list[str]) -> StripeError:
    return invalid(f"Invalid parameter structure: {_bracketed(path)} is given both as a value and as a hash")


def _parent(root: JSON, path: list[str]) -> JSON:
    """The dict that holds ``path[-1]``, creating the hashes on the way."""
    node: JSON = root
    for depth, part in enumerate(path[:-1]):
        if part == "":
            # "a[][b]" has no stable index to nest under; the SDK never sends it.
            raise invalid(f"Invalid array parameter: {_bracketed(path)}", param=_bracketed(path[: depth + 1]))
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise _conflict(path[: depth + 1])
        node = child
    return node


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> JSON:
    """Nested parameters from decoded ``(key, value)`` pairs; a repeated plain key keeps the last value."""
    root: JSON = {}
    for key, value in pairs:
        path = split_key(key)
        if path[-1] == "":  # "a[b][]=v" appends v to the list at a[b]
            items = _parent(root, path[:-1]).setdefault(path[-2], [])
            if not isinstance(items, list):
                raise _conflict(path[:-1])
            items.append(value)
            continue
        parent = _parent(root, path)
        if isinstance(parent.get(path[-1]), dict | list):
            raise _conflict(path)
        parent[path[-1]] = value
    return root


def decode(encoded: str | bytes) -> JSON:
    """Nested parameters from a form body or query string (``a[b]=1&c[]=x``)."""
    text = encoded.decode("utf-8", errors="replace") if isinstance(encoded, bytes) else encoded
    return decode_pairs(parse_qsl(text, keep_blank_values=True))
