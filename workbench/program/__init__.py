"""The program: its settings (:mod:`~workbench.program.settings`) and its vocabularies
(:mod:`~workbench.program.vocabularies`), both stored in the database, versioned and audited.

The settings functions are re-exported here, so ``from workbench import program`` then
``program.get_setting(con, "retention_years")`` works as it always did.
"""

from __future__ import annotations

from workbench.program.settings import (
    SETTINGS,
    Setting,
    SettingError,
    all_settings,
    get_setting,
    retention_years,
    set_setting,
    setting_version,
)

__all__ = [
    "SETTINGS",
    "Setting",
    "SettingError",
    "all_settings",
    "get_setting",
    "retention_years",
    "set_setting",
    "setting_version",
]
