"""Temporary files beside their final path, so that a rename publishes them whole."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["make_temporary_path"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_temporary_path(final: Path) -> Path:
    """Create an empty hidden file in ``final``'s folder and return its path.

    The file gets the permissions a plain ``open`` would give it (0666 less the
    umask) instead of mkstemp's 0600, so the renamed asset is readable as usual.
    ``os.replace`` onto ``final`` is atomic because both are in one folder.
    """
    handle, name = tempfile.mkstemp(
        prefix=f".{final.name}.", suffix=".part", dir=final.parent
    )
    try:
        os.fchmod(handle, 0o666 & ~_current_umask())
    finally:
        os.close(handle)
    return Path(name)
