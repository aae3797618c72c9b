"""Errors a person reads: each says what was wrong, where, and what to do."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error the workbench reports to a person instead of a stack trace."""

    exit_code = 1


class DatabaseMissing(WorkbenchError):
    pass


class DatabaseBusy(WorkbenchError):
    pass


class DatabaseExists(WorkbenchError):
    pass


class StaleEdit(WorkbenchError):
    """Someone else changed the row since it was read (optimistic versioning)."""


class EditConflict(StaleEdit):
    """Two edits of the same rows were saved at the same moment; this one was refused (nothing saved)."""


class CopyFailed(WorkbenchError):
    """A snapshot or backup could not be written; the previous copy is unchanged."""


class NotFound(WorkbenchError):
    pass


class ImportFileError(WorkbenchError):
    """A file as a whole cannot be imported (unreadable, empty, a required column missing): nothing is stored."""


class ImportTooLarge(ImportFileError):
    """A file over the import limits: too many bytes or rows, or a workbook that would inflate too far."""
