"""Nothing the app does may need the internet (conference halls have poor networks)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_config_keeps_the_app_offline() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False  # no usage statistics sent to Streamlit
    assert config["browser"]["serverAddress"]  # set: no external-IP lookup on a web service at start-up
    assert config["server"]["enableStaticServing"] is True  # the vendored map geometry is served locally
    assert config["client"]["toolbarMode"] == "viewer"  # no developer Deploy button


def test_no_cdn_address_in_the_code() -> None:
    pattern = re.compile(r"https?://(cdn\.|unpkg\.|fonts\.googleapis|fonts\.gstatic|cdn\.plot\.ly)")
    files = [*ROOT.glob("workbench/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "streamlit_app.py"]
    offenders = [str(f.relative_to(ROOT)) for f in files if pattern.search(f.read_text(encoding="utf-8"))]
    assert offenders == []
