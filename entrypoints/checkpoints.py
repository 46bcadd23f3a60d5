"""Where each portal's backfill stopped: one small JSON file per portal.

The file holds only the last contact ID a walk finished; a run that finds one
resumes after it, a finished walk removes it, and so does a clean uninstall.
"""

import json
from pathlib import Path


def checkpoints_of(data_dir: Path) -> "Checkpoints":
    """The checkpoints kept under a service's data folder."""
    return Checkpoints(data_dir / "backfill")


class Checkpoints:
    """Where each portal's backfill stopped: one small JSON file per portal."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, member_id: str) -> Path:
        return self._folder / f"{member_id}.json"

    def load(self, member_id: str) -> int:
        try:
            data = json.loads(self._path(member_id).read_text("utf-8"))
        except (OSError, ValueError):
            return 0
        last = data.get("last_id", 0) if isinstance(data, dict) else 0
        return last if isinstance(last, int) else 0

    def save(self, member_id: str, last_id: int) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._path(member_id)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"last_id": last_id}), "utf-8")
        temporary.replace(path)

    def clear(self, member_id: str) -> None:
        self._path(member_id).unlink(missing_ok=True)
