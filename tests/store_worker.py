"""Drive a real Store from another process, for the lock tests.

filelock may treat a second lock in the same process as re-entrant, so the
"second instance" of the lock tests must be another process. This script
reads one JSON command per line on stdin and answers with one JSON line on
stdout; a patti error is an answer (``ok: false`` and the error's class
name), not a crash. It is not a test module (no ``test_`` prefix).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from patti.core.errors import PattiError
from patti.core.i18n import set_language
from patti.core.model import Partner, PartnerKind
from patti.core.store import Store


class Worker:
    """The state of one worker process: at most one open store."""

    def __init__(self) -> None:
        self.store: Store | None = None

    def _open_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("no store is open")
        return self.store

    def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        op = command["op"]
        if op == "open":
            self.store = Store.open(command["path"], readonly=command.get("readonly", False))
            return {
                "pid": os.getpid(),
                "readonly": self.store.readonly,
                "reason": self.store.readonly_reason(),
            }
        store = self._open_store()
        if op == "add":
            saved = store.add(Partner(name=command["name"], kind=PartnerKind.ASSOCIATION))
            return {"id": saved.id}
        if op == "rename":
            record = store.partners.get(command["id"])
            record.name = command["name"]
            return {"revision": store.update(record).revision}
        if op == "delete":
            store.delete_partner(command["id"])
            return {}
        if op == "names":
            return {"names": {str(p.id): p.name for p in store.partners.all()}}
        if op == "close":
            store.close()
            self.store = None
            return {}
        raise ValueError(f"unknown op {op!r}")


def main() -> int:
    set_language("en")
    worker = Worker()
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "exit":
            break
        try:
            answer = {"ok": True, **worker.handle(command)}
        except PattiError as exc:
            answer = {"ok": False, "error": type(exc).__name__, "message": str(exc)}
        print(json.dumps(answer), flush=True)
    if worker.store is not None:
        worker.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
