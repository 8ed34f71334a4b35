"""Stripe's v1 routes, read from the pinned SDK's own service modules.

Every service method of the generated SDK ends in ``self._request("post", "/v1/x/{id}".format(...),
params=params, ...)`` and annotates ``params`` with the TypedDict that describes the request. Parsing
those modules with ``ast`` (not importing them: importing every params module costs close to a
second) gives the simulator Stripe's route table without listing a single endpoint by hand.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import stripe

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    """One ``METHOD /v1/...`` of the SDK and the params TypedDict it sends (if it sends any)."""

    method: str  # "get" | "post" | "delete"
    template: str  # "/v1/terminal/readers/{reader}"
    params_module: str | None  # "stripe.params.terminal._reader_update_params"
    params_class: str | None  # "ReaderUpdateParams"

    @property
    def key(self) -> str:
        """The name calls are counted under: ``"POST /v1/terminal/readers/{reader}"``."""
        return f"{self.method.upper()} {self.template}"


def _type_checking_imports(tree: ast.Module) -> dict[str, str]:
    """Name -> module for every ``from x import Name`` in the file (the params classes are among them)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


def _request_call(fn: ast.FunctionDef) -> tuple[str, str] | None:
    """The (method, path template) of the ``self._request(...)`` call inside a service method."""
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if not node.func.attr.startswith("_request") or len(node.args) < 2:
            continue
        method, path = node.args[0], node.args[1]
        if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute):
            path = path.func.value  # "/v1/x/{id}".format(id=...)
        if isinstance(method, ast.Constant) and isinstance(path, ast.Constant):
            return str(method.value), str(path.value)
    return None


def _params_class_name(fn: ast.FunctionDef) -> str | None:
    """``params: Optional["XParams"]`` or ``params: "XParams"`` -> ``"XParams"``."""
    for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        if arg.arg != "params" or arg.annotation is None:
            continue
        ann = arg.annotation
        if isinstance(ann, ast.Subscript):  # Optional["XParams"]
            ann = ann.slice
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            return ann.value
    return None


def _routes_of(source: str) -> list[Route]:
    tree = ast.parse(source)
    imports = _type_checking_imports(tree)
    found: list[Route] = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        # Only the sync methods: every ``*_async`` twin sends the very same request.
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            call = _request_call(fn)
            if call is None or not call[1].startswith("/v1/"):
                continue
            name = _params_class_name(fn)
            module = imports.get(name) if name else None
            found.append(Route(call[0], call[1], module, name if module else None))
    return found


def scan_sdk(root: Path | None = None) -> list[Route]:
    """Every v1 route of the SDK's service modules, first declaration winning on duplicates."""
    root = root or Path(stripe.__file__).parent
    routes: dict[tuple[str, str], Route] = {}
    for path in sorted(root.rglob("_*_service.py")):
        source = path.read_text(encoding="utf-8")
        if "/v1/" not in source:
            continue
        for route in _routes_of(source):
            routes.setdefault((route.method, route.template), route)
    return list(routes.values())


class RouteTable:
    """Matches a request's method and path to a route; literal segments beat placeholders."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self._exact: dict[tuple[str, str], Route] = {}
        self._patterns: dict[tuple[str, int], list[tuple[re.Pattern[str], Route]]] = {}
        # Fewest placeholders first, so /v1/customers/search wins over /v1/customers/{customer}.
        for route in sorted(routes, key=lambda r: len(_PLACEHOLDER.findall(r.template))):
            if "{" not in route.template:
                self._exact[(route.method, route.template)] = route
                continue
            parts = _PLACEHOLDER.split(route.template)  # literal, name, literal, name, ...
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
            slot = (route.method, route.template.count("/"))
            self._patterns.setdefault(slot, []).append((re.compile(regex + "$"), route))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route of ``method path`` and its path parameters, or None when the SDK knows no such URL."""
        method = method.lower()
        exact = self._exact.get((method, path))
        if exact is not None:
            return exact, {}
        for pattern, route in self._patterns.get((method, path.count("/")), []):
            found = pattern.match(path)
            if found:
                return route, found.groupdict()
        return None


ROUTES = RouteTable(scan_sdk())
