"""The library is usable without Streamlit: analysts import it in Jupyter.

A fresh interpreter imports every module of the package (all but ``workbench.ui``, the one package that
is for the app) and must not have loaded Streamlit. The import-linter contracts (tests/test_architecture.py)
check the library's own import statements; this checks what really gets loaded, third-party imports included.
"""

from __future__ import annotations

import json
import subprocess
import sys

WALK = """
import importlib, json, pkgutil, sys
import workbench

def skip(name):  # the app's package, and `python -m` entry points (importing one runs the command)
    return name == "workbench.ui" or name.startswith("workbench.ui.") or name.endswith(".__main__")

def failed(name):
    raise ImportError(f"cannot import {name}")

walked = []
for info in pkgutil.walk_packages(workbench.__path__, "workbench.", onerror=failed):
    if not skip(info.name):
        importlib.import_module(info.name)  # walk_packages imports packages only; import every module
        walked.append(info.name)
loaded = sorted(m for m in sys.modules if m == "streamlit" or m.startswith("streamlit."))
print(json.dumps({"walked": walked, "streamlit": loaded}))
"""


def walk() -> dict[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", WALK], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_every_library_module_does_not_import_streamlit() -> None:
    found = walk()
    assert found["streamlit"] == [], "importing these modules loaded Streamlit"
    walked = set(found["walked"])
    assert len(walked) >= 40, sorted(walked)  # the walk reached the whole package, not a few modules
    assert {"workbench.db", "workbench.matching.cpsat", "workbench.reports", "workbench.charts.maps",
            "workbench.followup.rematch", "workbench.intake"} <= walked
    assert not {m for m in walked if m.startswith("workbench.ui")}, "workbench.ui is the app's and is skipped"
