"""A second process that checks part of a big backup's records, so a restore uses both
cores: validating 100,000 records is most of a restore's work, and it is CPU-bound
Python that threads cannot share out.

The helper is started before the parent reads the file, reads and parses the same file
itself (nothing big crosses a pipe, and a thread feeding one would fight the parent's
validation for the GIL), checks its share of the activities and answers with one JSON
object on stdout: the digest of the bytes it read and the verdict
:func:`patti.core.backup.check_share` gives. The parent uses the verdict only if it read
the same bytes. Anything that goes wrong on the way (no interpreter, a crash, a kill, a
file changed in between, an answer that does not parse) makes the parent check those
records itself: the helper can make a restore faster, never change its verdict. It
writes no file.

    python -m patti.core.checkworker <language> <backup file>
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

T = TypeVar("T")

#: How long the parent waits for an answer before checking the records itself: ten
#: times what 100,000 records take on a slow machine.
ANSWER_TIMEOUT = 120.0


class Helper:
    """The parent's side of one helper process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def start(cls, language: str, path: Path) -> Helper | None:
        """A helper checking its share of the backup at ``path`` (see
        :func:`patti.core.backup.shared_keys`), its messages in ``language``; ``None``
        where none can be started (the parent checks everything itself)."""
        if not sys.executable:
            return None
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, language, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError):
            return None
        return cls(process)

    def answer(self, raw_sha256: str, shared: dict[str, list[str]]) -> dict[str, Any] | None:
        """The helper's verdict on ``shared``, or ``None`` unless it is one that can be
        trusted: from the same bytes (``raw_sha256``), on the same records."""
        try:
            output, _err = self._process.communicate(timeout=ANSWER_TIMEOUT)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.cancel()
            return None
        if self._process.returncode != 0:
            return None
        try:
            answer = orjson.loads(output)
        except orjson.JSONDecodeError:
            return None
        if (
            not _well_formed(answer)
            or answer["raw_sha256"] != raw_sha256
            or answer["shared"] != {table: len(keys) for table, keys in shared.items()}
        ):
            return None
        return cast(dict[str, Any], answer)

    def cancel(self) -> None:
        """Stop the helper (the backup was refused early, or has too few records)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def _well_formed(answer: Any) -> bool:
    def texts(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(p, str) for p in value)

    return (
        isinstance(answer, dict)
        and isinstance(answer.get("raw_sha256"), str)
        and isinstance(answer.get("shared"), dict)
        and texts(answer.get("problems"))
        and (answer.get("links") is None or texts(answer["links"]))
        and isinstance(answer.get("cleaned"), dict)
        and all(
            isinstance(docs, dict) and all(isinstance(doc, dict) for doc in docs.values())
            for docs in answer["cleaned"].values()
        )
    )


def sha256_hex(raw: bytes) -> str:
    """What tells the parent a helper read the same bytes."""
    return hashlib.sha256(raw).hexdigest()


def in_thread(work: Callable[..., T], *args: Any) -> Future[T]:
    """``work(*args)`` in a thread of its own, for work that lets go of the GIL (hashing
    a big buffer, an fsync): its result, or what it raised, comes from the future."""
    executor = ThreadPoolExecutor(1)
    try:
        return executor.submit(work, *args)
    finally:
        executor.shutdown(wait=False)


def main(argv: list[str]) -> int:
    """The helper's side: read the backup, check the share, answer."""
    from .backup import check_share, helper_tables, shared_keys  # backup imports this module
    from .i18n import set_language
    from .storage import paused_gc

    language, name = argv
    set_language(language)
    path = Path(name)
    raw = path.read_bytes()
    hashing = in_thread(sha256_hex, raw)
    try:
        with paused_gc():
            tables = helper_tables(raw, path)
            shared = shared_keys(tables)
            answer = check_share(tables, shared, source=path)
    except Exception:  # anything the parent's strict reading refuses: it says why
        return 3
    answer["raw_sha256"] = hashing.result()
    answer["shared"] = {table: len(keys) for table, keys in shared.items()}
    sys.stdout.buffer.write(orjson.dumps(answer))
    sys.stdout.buffer.flush()
    os._exit(0)  # the parent waits for the exit: freeing every record one by one is for nothing


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
