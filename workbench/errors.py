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


class NotFound(WorkbenchError):
    pass
