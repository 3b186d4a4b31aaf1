"""The emulator's in-memory object store: objects by type, owners, idempotency records, clock."""

from __future__ import annotations

import copy
import json
import os
import secrets
import string
import threading
import time
from typing import Any

PLATFORM = "__platform__"
_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Store:
    """All emulator state. Callers hold `lock` around every read-modify-write."""

    def __init__(self, state_file: str | None = None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.clear()
        if state_file and os.path.exists(state_file):
            self.load(state_file)

    def clear(self) -> None:
        # type -> id -> object; dicts keep insertion order, which is the list order (oldest first)
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.owners: dict[str, str] = {}
        self.types: dict[str, str] = {}
        # Facts that are not part of Stripe's objects (card behaviour, link tokens, ledger links).
        self.internal: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.clock_offset = 0
        self.platform_account_id = new_id("acct_", 16)

    # -- clock -------------------------------------------------------------------------------
    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    # -- objects -----------------------------------------------------------------------------
    def add(self, obj: dict[str, Any], owner: str = PLATFORM, **internal: Any) -> dict[str, Any]:
        kind = obj["object"]
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        self.owners[obj["id"]] = owner
        self.types[obj["id"]] = kind
        if internal:
            self.internal.setdefault(obj["id"], {}).update(internal)
        return obj

    def get(self, object_id: str) -> dict[str, Any] | None:
        kind = self.types.get(object_id)
        if kind is None:
            return None
        return self.objects[kind].get(object_id)

    def get_typed(self, kind: str, object_id: str) -> dict[str, Any] | None:
        return self.objects.get(kind, {}).get(object_id)

    def owner(self, object_id: str) -> str | None:
        return self.owners.get(object_id)

    def meta(self, object_id: str) -> dict[str, Any]:
        return self.internal.setdefault(object_id, {})

    def all(self, kind: str, owner: str | None = None) -> list[dict[str, Any]]:
        items = list(self.objects.get(kind, {}).values())
        if owner is not None:
            items = [o for o in items if self.owners.get(o["id"]) == owner]
        return items

    def remove(self, object_id: str) -> None:
        kind = self.types.pop(object_id, None)
        if kind:
            self.objects[kind].pop(object_id, None)
        self.owners.pop(object_id, None)

    # -- snapshots and persistence -----------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "objects": copy.deepcopy(self.objects),
            "owners": dict(self.owners),
            "internal": copy.deepcopy(self.internal),
            "idempotency": copy.deepcopy(self.idempotency),
            "clock_offset": self.clock_offset,
            "platform_account_id": self.platform_account_id,
        }

    def save(self) -> None:
        if not self.state_file:
            return
        tmp = f"{self.state_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.snapshot(), fh)
        os.replace(tmp, self.state_file)

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        self.objects = data.get("objects", {})
        self.owners = data.get("owners", {})
        self.internal = data.get("internal", {})
        self.idempotency = data.get("idempotency", {})
        self.clock_offset = int(data.get("clock_offset", 0))
        self.platform_account_id = data.get("platform_account_id", self.platform_account_id)
        self.types = {oid: kind for kind, items in self.objects.items() for oid in items}
