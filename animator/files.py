"""Temporary files beside their final path, so that a rename publishes them whole."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["Staging", "make_temporary_path", "remove_files", "signals_deferred"]


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, so cleanup runs to the end.

    A second Ctrl-C during cleanup would otherwise stop it halfway and leave
    temporary files behind. A signal that arrives meanwhile is delivered, and
    raises as usual, when the block exits.
    """
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def remove_files(paths: Iterable[Path]) -> None:
    """Delete ``paths`` that exist, with SIGINT and SIGTERM held meanwhile."""
    with signals_deferred():
        for path in paths:
            path.unlink(missing_ok=True)


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


class Staging:
    """Temporary files for a set of outputs, published together or not at all.

    Each output is written to its own hidden temporary file beside its final
    path. ``publish`` renames them all into place once every one is complete,
    so a failure part-way leaves the earlier set of files as it was.
    """

    def __init__(self) -> None:
        self._pairs: list[tuple[Path, Path]] = []

    def path_for(self, final: Path) -> Path:
        """Create and return the temporary path that will become ``final``."""
        temporary = make_temporary_path(final)
        self._pairs.append((temporary, final))
        return temporary

    def publish(self) -> list[Path]:
        """Rename every temporary file onto its final path; return the finals."""
        published = []
        for temporary, final in self._pairs:
            os.replace(temporary, final)
            published.append(final)
        self._pairs = []
        return published

    def discard(self) -> None:
        """Delete the temporary files that were not published."""
        remove_files(temporary for temporary, _ in self._pairs)
        self._pairs = []
