"""The library is usable without Streamlit: analysts import it in Jupyter."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_library_does_not_import_streamlit() -> None:
    code = (
        "import sys\n"
        "import workbench, workbench.db, workbench.reports, workbench.charts, workbench.cli, workbench.build\n"
        "import workbench.sample, workbench.admission, workbench.config\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
