"""Files the workbench writes are its owner's only: files mode 0600, the folders it creates 0700.

The live database, its backups and pre-upgrade copies, the files a restore keeps aside, the analyst snapshot
and every export hold personal data, so nobody but the account that runs the workbench may read them. Every
place that writes a file goes through this module:

- :func:`write_private` writes bytes to a file atomically, never readable by others, not even half-written;
  :func:`copy_private` copies a file so (a pre-upgrade copy, a backup being restored);
- :func:`owner_only` narrows a file (or folder) something else wrote (DuckDB, :func:`shutil.copy2`) to 0600
  (0700);
- :func:`private_dir` creates a folder, and any missing parent, owner-only (an existing folder is left as
  it is: it may be the user's own, such as their home);
- :func:`restrict_umask` makes every file the process creates from then on owner-only, including those a
  library creates behind the workbench's back (DuckDB's ``.wal`` file beside the live database): the
  command line and the app call it once, when they start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "copy_private", "owner_only", "private_dir", "restrict_umask",
           "write_private"]

#: Mode of every file the workbench writes: read and write for its owner, nothing for anyone else.
FILE_MODE = 0o600
#: Mode of every folder the workbench creates.
DIR_MODE = 0o700
#: The umask :func:`restrict_umask` adds: no permission for the group or others.
_PRIVATE_UMASK = 0o077


def owner_only(path: str | Path) -> Path:
    """Make ``path`` readable and writable by its owner only (0600; a folder 0700); returns it.

    A missing path is left alone (nothing to protect), so it can be called on an optional file such as a
    database's ``.wal``.
    """
    target = Path(path)
    with contextlib.suppress(FileNotFoundError):
        os.chmod(target, DIR_MODE if target.is_dir() else FILE_MODE)
    return target


def private_dir(path: str | Path) -> Path:
    """Create the folder ``path`` (and its missing parents) owner-only (0700); returns it.

    Folders that already exist keep their mode: the workbench narrows only what it creates.
    """
    folder = Path(path)
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for created in missing:
        owner_only(created)  # mkdir's mode is reduced by the umask, and parents get the default mode
    return folder


def write_private(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, owner-only (0600) from the first byte, atomically; returns the path.

    The bytes go to a temporary file created 0600 in the same folder, which then takes ``path``'s place, so
    a reader sees the old file or the whole new one, and a failure leaves the old file and no temporary one.
    A missing folder is created owner-only (:func:`private_dir`).
    """
    target = Path(path)
    private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, FILE_MODE)  # the umask can only have narrowed it; say it outright
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target


def copy_private(source: str | Path, target: str | Path) -> Path:
    """Copy the file ``source`` to ``target`` byte for byte, owner-only (0600) from the first byte, atomically
    (as :func:`write_private`, without reading the whole file into memory); returns the target."""
    src, dst = Path(source), Path(target)
    private_dir(dst.parent)
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as into:
            shutil.copyfileobj(into, out, 1024 * 1024)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return dst


def restrict_umask() -> int:
    """From now on, files and folders this process creates are owner-only (umask 077 added); returns the
    previous umask. Process-wide: the command line and the app call it once, at start."""
    previous = os.umask(_PRIVATE_UMASK)
    os.umask(previous | _PRIVATE_UMASK)
    return previous
