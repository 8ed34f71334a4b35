"""Check and type a request's decoded parameters against the pinned SDK's params TypedDict.

The form encoding carries only strings; the TypedDict says what each one must be. Walking its type
hints (``typing.get_type_hints(include_extras=True)``) once per class gives a small schema tree whose
nodes turn the strings into ints, booleans, lists and nested dicts, or raise the 400 Stripe answers
(``parameter_unknown``, ``parameter_missing``, ``parameter_invalid_integer``, ...) naming the
parameter in bracket form, e.g. ``process_config[tipping][amount_eligible]``.
"""

from __future__ import annotations

import importlib
import math
import sys
import types
import typing
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Union

import typing_extensions
from stripe._request_options import RequestOptions
from stripe._stripe_context import StripeContext
from stripe._stripe_object import UntypedStripeObject

from kiosk.simulator.errors import StripeError, invalid, parameter_missing, parameter_unknown
from kiosk.simulator.routes import Route

JSON = dict[str, Any]

# RequestOptions (api_key, idempotency_key, ...) travel as headers, never as parameters.
_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
# Every params class inherits RequestOptions' string annotations, which name things its own module
# never imports; resolving them needs that module's namespace (and its TYPE_CHECKING-only import).
_OPTION_NAMES = {**vars(sys.modules[RequestOptions.__module__]), "StripeContext": StripeContext}
_LITERALS = (typing.Literal, typing_extensions.Literal)
_WRAPPERS = (typing.Required, typing.NotRequired, typing_extensions.Required, typing_extensions.NotRequired)


def _empty(param: str) -> StripeError:
    return invalid(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
        f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request "
        "or supply a non-empty value.",
        code="parameter_invalid_empty",
        param=param,
    )


class Node:
    """One type of the schema: ``coerce`` returns the typed value or raises Stripe's 400."""

    def coerce(self, value: Any, param: str) -> Any:
        raise NotImplementedError


class Anything(Node):
    def coerce(self, value: Any, param: str) -> Any:
        return value


class Text(Node):
    def coerce(self, value: Any, param: str) -> Any:
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {value!r}", param=param)
        if value == "":
            raise _empty(param)
        return value


class Number(Node):
    """int, float or Decimal; Decimal stays a string so objects remain plain JSON."""

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def coerce(self, value: Any, param: str) -> Any:
        if value == "":
            raise _empty(param)
        try:
            if self.kind is int and isinstance(value, str) and value.lstrip("-").isdigit():
                return int(value)
            if self.kind is float and isinstance(value, str) and math.isfinite(float(value)):
                return float(value)
            if self.kind is Decimal and isinstance(value, str) and Decimal(value).is_finite():
                return value
        except (ValueError, InvalidOperation):
            pass
        name = {int: "integer", float: "float", Decimal: "decimal"}[self.kind]
        raise invalid(f"Invalid {name}: {value}", code=f"parameter_invalid_{name}", param=param)


class Boolean(Node):
    def coerce(self, value: Any, param: str) -> Any:
        if value in ("true", "false"):
            return value == "true"
        if value == "":
            raise _empty(param)
        raise invalid(f"Invalid boolean: {value}", code="parameter_invalid_boolean", param=param)


class Choice(Node):
    """A ``Literal[...]``: the wire form of each allowed value maps back to the value itself."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = {(str(v).lower() if isinstance(v, bool) else str(v)): v for v in values}

    def coerce(self, value: Any, param: str) -> Any:
        if isinstance(value, str) and value in self.values:
            return self.values[value]
        if value == "":
            raise _empty(param)
        allowed = [v for v in self.values if v]
        listed = ", ".join(allowed[:-1]) + f", or {allowed[-1]}" if len(allowed) > 1 else "".join(allowed)
        raise invalid(f"Invalid {param}: must be one of {listed}", param=param)


class Sequence(Node):
    """``List[X]``: sent as ``a[0]=..&a[1]=..`` (a dict of indices once decoded) or ``a[]=..``."""

    def __init__(self, item: Node) -> None:
        self.item = item

    def coerce(self, value: Any, param: str) -> Any:
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise invalid("Invalid array", param=param)
        return [self.item.coerce(v, f"{param}[{i}]") for i, v in enumerate(value)]


class Mapping(Node):
    """``Dict[str, X]`` such as ``metadata``: any keys, typed values."""

    def __init__(self, value: Node) -> None:
        self.value = value

    def coerce(self, value: Any, param: str) -> Any:
        if not isinstance(value, dict):
            raise invalid("Invalid object", param=param)
        return {k: self.value.coerce(v, f"{param}[{k}]") for k, v in value.items()}


class Record(Node):
    """A nested TypedDict; its fields are compiled on first use (the SDK's trees are large)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def coerce(self, value: Any, param: str) -> Any:
        if not isinstance(value, dict):
            raise invalid("Invalid object", param=param)
        return check_fields(self.cls, value, lambda key: f"{param}[{key}]")


class OneOf(Node):
    """A union: the first option that accepts the value wins (``Literal['']|X`` lets "" unset X)."""

    def __init__(self, options: tuple[Node, ...]) -> None:
        self.options = options

    def coerce(self, value: Any, param: str) -> Any:
        errors: list[StripeError] = []
        for option in self.options:
            try:
                return option.coerce(value, param)
            except StripeError as error:
                errors.append(error)
        # Report what the real type expected, not that "" was the only empty value allowed.
        specific = [e for e, o in zip(errors, self.options, strict=True) if not _only_empty(o)]
        raise (specific or errors)[0]


def _only_empty(node: Node) -> bool:
    return isinstance(node, Choice) and list(node.values) == [""]


@cache
def _fields(cls: type) -> tuple[dict[str, Node], frozenset[str]]:
    """The schema of a TypedDict's own fields (RequestOptions' removed) and its required keys."""
    hints = typing.get_type_hints(cls, localns=_OPTION_NAMES, include_extras=True)
    fields = {name: compile_type(hint) for name, hint in hints.items() if name not in _OPTION_KEYS}
    required = frozenset(getattr(cls, "__required_keys__", frozenset())) - _OPTION_KEYS
    return fields, required


def compile_type(hint: Any) -> Node:
    """The schema node for one type hint of the SDK's params modules."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in _WRAPPERS:
        return compile_type(args[0])
    if origin in _LITERALS:
        return Choice(args)
    if origin in (Union, types.UnionType):
        options = tuple(compile_type(a) for a in args if a is not type(None))
        return options[0] if len(options) == 1 else OneOf(options)
    if origin is list:
        return Sequence(compile_type(args[0]))
    if origin is dict:
        return Mapping(compile_type(args[1]))
    if typing_extensions.is_typeddict(hint):
        return Record(hint)
    if hint is UntypedStripeObject or origin is UntypedStripeObject:
        # The SDK's "a StripeObject may stand in for the dict" (metadata): a hash on the wire.
        return Mapping(compile_type(args[0]) if args else Anything())
    simple: dict[Any, Node] = {str: Text(), bool: Boolean(), int: Number(int), float: Number(float)}
    if hint in simple:
        return simple[hint]
    if hint is Decimal:
        return Number(Decimal)
    return Anything()  # typing.Any: Stripe takes any shape there


def check_fields(cls: type, raw: JSON, name: typing.Callable[[str], str]) -> JSON:
    """Validate ``raw`` against TypedDict ``cls``; ``name(key)`` renders a key in bracket form."""
    fields, required = _fields(cls)
    for key in raw:
        if key not in fields:
            raise parameter_unknown(name(key))
    for key in sorted(required - raw.keys()):
        raise parameter_missing(name(key))
    return {key: fields[key].coerce(value, name(key)) for key, value in raw.items()}


@cache
def params_class(route: Route) -> type | None:
    """The TypedDict class a route's SDK method sends, imported on first use."""
    if route.params_module is None or route.params_class is None:
        return None
    cls: type = getattr(importlib.import_module(route.params_module), route.params_class)
    return cls


def validate(route: Route, raw: JSON) -> JSON:
    """The typed parameters of one request to ``route``, or Stripe's 400 for the first problem."""
    cls = params_class(route)
    if cls is None:
        for key in raw:
            raise parameter_unknown(key)
        return {}
    return check_fields(cls, raw, lambda key: key)


def warm(route: Route) -> None:
    """Import and compile a route's top-level schema now, so its first request is not the slow one."""
    cls = params_class(route)
    if cls is not None:
        _fields(cls)
