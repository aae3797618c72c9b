"""Shared fixtures: one sample database built per test session, copied where a test writes to it."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import schedule
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", action="store_true",
                     help="write each file's seconds to tests/durations.json (the order `make test` runs them in)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the files in the order that keeps every core busy (tests/schedule.py)."""
    if hasattr(config, "workerinput"):
        schedule.reorder(items)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("record_durations", False):
        config.pluginmanager.register(schedule.Recorder(), "record-durations")
    _streamlit_work_once_per_process()
    _cheap_password_hashes()


def _cheap_password_hashes() -> None:
    """Hash the tests' passwords with argon2 at its lightest (8 MiB, one pass) instead of the app's 64 MiB and
    three passes: the same code paths, checks and rehash rule, at a hundredth of the work (the suite signs in,
    and is refused, hundreds of times). Servers the tests start use the app's own parameters."""
    from argon2 import PasswordHasher

    from workbench import accounts

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def _streamlit_work_once_per_process() -> None:
    """Scan the installed packages for Streamlit components once per test process, not once per AppTest.

    Every ``AppTest`` run asks Streamlit to scan every installed distribution's metadata for component
    manifests (about 0.3 s each time, some 900 times a suite). The installed packages cannot change while
    the tests run, so the first scan's answer is the answer; caching it changes no page's behaviour.
    """
    from streamlit.components.v2 import manifest_scanner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    if not hasattr(manifest_scanner.scan_component_manifests, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
    # Likewise each AppTest compiles the app and its pages afresh (Streamlit rewrites each page's syntax tree for
    # "magic" first: about 0.1 s a page). A page's code is compiled once per test process, again if its file
    # changes (its path, size and modification time are the key).
    if not getattr(ScriptCache.get_bytecode, "shared", False):
        compiled: dict[tuple[str, int, int], object] = {}
        original = ScriptCache.get_bytecode

        def get_bytecode(self: ScriptCache, script_path: str) -> object:
            path = os.path.abspath(script_path)
            stat = os.stat(path)
            key = (path, stat.st_size, stat.st_mtime_ns)
            if key not in compiled:
                compiled[key] = original(self, path)
            return compiled[key]

        get_bytecode.shared = True  # type: ignore[attr-defined]
        ScriptCache.get_bytecode = get_bytecode  # type: ignore[method-assign]


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
