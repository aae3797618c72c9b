"""Shared fixtures: one sample database built per test session, copied where a test writes to it."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import db
from workbench.access import User
from workbench.build import build_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample program's database, built once from sample_data/ exactly as `workbench init` does."""
    path = tmp_path_factory.mktemp("sample") / "workbench.duckdb"
    build_database(path)
    return path


@pytest.fixture(scope="session")
def con(sample_db_path: Path) -> Iterator[db.Connection]:
    """A read-only connection to the session's sample database (for view and report tests)."""
    connection = db.connect(sample_db_path, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def writable_db(sample_db_path: Path, tmp_path: Path) -> Path:
    """A private copy of the sample database a test may change."""
    target = tmp_path / "workbench.duckdb"
    shutil.copy(sample_db_path, target)
    return target


@pytest.fixture
def app_env(writable_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app (AppTest) at a private database and snapshot."""
    monkeypatch.setenv("WORKBENCH_DB", str(writable_db))
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(tmp_path / "analytics.duckdb"))
    monkeypatch.setenv("WORKBENCH_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("WORKBENCH_BACKUP_EVERY_HOURS", "0")  # the Backups page test turns them on
    monkeypatch.chdir(ROOT)
    return writable_db


@pytest.fixture(scope="session")
def users(con: db.Connection) -> dict[str, User]:
    """The sample program's account for each role, as the library's User (see tests/app_support.py)."""
    from tests.app_support import SAMPLE_ACCOUNTS
    from workbench.accounts import get_user

    found = {role: get_user(con, account) for role, account in SAMPLE_ACCOUNTS.items()}
    assert all(found.values()), found
    return found  # type: ignore[return-value]


def pytest_configure(config: pytest.Config) -> None:
    """Scan the installed packages for Streamlit components once per test process, not once per AppTest.

    Every ``AppTest`` run asks Streamlit to scan every installed distribution's metadata for component
    manifests (about 0.3 s each time, some 900 times a suite). The installed packages cannot change while
    the tests run, so the first scan's answer is the answer; caching it changes no page's behaviour.
    """
    from streamlit.components.v2 import manifest_scanner

    if not hasattr(manifest_scanner.scan_component_manifests, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own exit status once everything is reported, in a run that loaded AppTest.

    Streamlit's AppTest leaves a native thread behind that aborts the interpreter at shutdown ("terminate
    called without an active exception", exit 134) after a fully passing run; exiting here skips that
    teardown so `make test` reports what the tests said. Only a run that loaded AppTest (``streamlit.testing``
    imported) exits so, and only after the app's cached connection is released and the snapshot threads are
    done; any other run shuts down normally.
    """
    if not _exit_status or "streamlit.testing" not in sys.modules:
        return
    import streamlit as st  # loaded already (streamlit.testing is): no import cost, no new thread

    st.cache_resource.clear()  # releases the app's cached connection (its on_release closes it)
    snapshots = sys.modules.get("workbench.snapshots")
    if snapshots is not None:
        snapshots.wait_for_snapshots(30.0)  # the background publisher's thread is done
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status[-1])
