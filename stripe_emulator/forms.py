"""Decoding of Stripe's form encoding (nested brackets) and typed parameter readers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import StripeError

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")

# Under these keys, bracketed segments are free-form names, never list indexes.
_FREE_FORM_KEYS = frozenset({"metadata"})


def decode_form(raw: str) -> dict[str, Any]:
    """Decode `a[b][0][c]=x&expand[]=y` into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY_RE.match(key)
        if not match:
            raise StripeError.invalid(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *_SEGMENT_RE.findall(match.group(2))]
        _assign(root, path, value, key)
    decoded: dict[str, Any] = _listify(root, top=True)
    return decoded


def _assign(node: dict[str, Any], path: list[str], value: str, key: str) -> None:
    for i, segment in enumerate(path[:-1]):
        nxt = path[i + 1]
        child = node.get(segment)
        if child is None or isinstance(child, str):
            # A scalar followed by a nested assignment: the nested form wins (Stripe does the same).
            child = {}
            node[segment] = child
        if not isinstance(child, dict):
            raise StripeError.invalid(f"Invalid parameter: {key}", param=key)
        node = child
        if nxt == "":
            # `a[]=x`: append with a synthetic index that keeps order.
            path[i + 1] = str(_next_index(node))
    last = path[-1]
    node[last] = value


def _next_index(node: dict[str, Any]) -> int:
    return len(node)


def _listify(node: Any, top: bool = False, free_form: bool = False) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        out[key] = _listify(value, free_form=top and key in _FREE_FORM_KEYS)
    if not top and not free_form and out and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


class Params:
    """Typed, validating access to decoded request parameters."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def check_known(self, allowed: set[str] | frozenset[str]) -> None:
        for name in self.data:
            if name not in allowed and name != "expand":
                raise StripeError.invalid(f"Received unknown parameter: {name}", param=name)

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def string(
        self, name: str, *, required: bool = False, default: str | None = None
    ) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise StripeError.missing(name)
            return default
        if not isinstance(value, str):
            raise StripeError.invalid(
                f"Invalid string: {name} must be a string",
                param=name,
                code="parameter_invalid_string",
            )
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise StripeError.missing(name)
            return None
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
            raise StripeError.invalid(
                f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
            )
        number = int(value)
        if minimum is not None and number < minimum:
            raise StripeError.invalid(
                f"This value must be greater than or equal to {minimum}.",
                param=name,
                code="parameter_invalid_integer",
            )
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise StripeError.invalid(f"Invalid boolean: {value}", param=name)

    def choice(
        self,
        name: str,
        choices: tuple[str, ...],
        *,
        default: str | None = None,
        required: bool = False,
    ) -> str | None:
        value = self.string(name, required=required, default=default)
        if value is not None and value not in choices:
            raise StripeError.invalid(
                f"Invalid {name}: must be one of {', '.join(choices)}", param=name
            )
        return value

    def currency(self, name: str = "currency", *, required: bool = True) -> str | None:
        value = self.string(name, required=required)
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise StripeError.invalid(f"Invalid currency: {value}", param=name)
        return value.lower()

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise StripeError.invalid(f"Invalid object: {name} must be a hash", param=name)
        return value

    def metadata(self, current: dict[str, str] | None = None) -> dict[str, str]:
        """Stripe semantics: `metadata=` clears, `metadata[k]=` removes key k."""
        merged = dict(current or {})
        value = self.data.get("metadata")
        if value is None:
            return merged
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise StripeError.invalid("Invalid object: metadata must be a hash", param="metadata")
        for key, item in value.items():
            if not isinstance(item, str):
                raise StripeError.invalid(
                    f"Invalid metadata value for {key}", param=f"metadata[{key}]"
                )
            if item == "":
                merged.pop(key, None)
            else:
                merged[key] = item
        return merged

    def expand(self) -> list[str]:
        value = self.data.get("expand")
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(v) for v in value]
        raise StripeError.invalid("Invalid array: expand", param="expand")
