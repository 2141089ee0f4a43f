"""Keep docs/backup-format.schema.json in step with the models.

    python scripts/backup_schema.py          # regenerate the file
    python scripts/backup_schema.py --check  # exit 1 when the file is out of date

The schema comes from :func:`patti.core.backup.backup_json_schema`, which builds
it from the pydantic models; this script only fixes its layout (sorted keys,
two-space indent, a trailing newline) so that the file changes only when the
format does. tests/test_backup.py fails when the file is out of date.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from patti.core.backup import backup_json_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "backup-format.schema.json"


def render() -> str:
    """The file's exact text."""
    return json.dumps(backup_json_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in ([], ["--check"]):
        print(__doc__, file=sys.stderr)
        return 2
    text = render()
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else None
    if args == ["--check"]:
        if current != text:
            print(f"{SCHEMA_FILE} is out of date: run scripts/backup_schema.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
