"""Each slide's chart as PNG or SVG, through kaleido and the system Chromium, with nothing fetched.

How kaleido finds a browser (kaleido 1.x starts Chrome through ``choreographer``): a Chrome it downloaded
itself (``kaleido_get_chrome``) first, else the ``path=`` it is given, else ``$BROWSER_PATH``, else
``chrome``/``chromium``… on ``PATH`` and the usual install folders. The workbench passes the system Chromium
explicitly (``WORKBENCH_CHROMIUM``, default ``/usr/bin/chromium``) and never downloads one.

The page kaleido renders in loads plotly.js from the plotly package (a local file), no MathJax (kaleido's
default is a CDN), and a local script that registers the vendored world map with plotly.js, so a geo
chart draws without fetching its topology.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from workbench.charts.present import themed
from workbench.errors import WorkbenchError
from workbench.present.slides import Slide

FORMATS = ("png", "svg")
WIDTH, HEIGHT = 1600, 900


class ImageExportFailed(WorkbenchError):
    """The chart images could not be made (no browser, or the browser failed)."""


def chromium_path() -> Path:
    """The browser kaleido drives: ``$WORKBENCH_CHROMIUM``, else ``/usr/bin/chromium``."""
    path = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
    if not path.exists():
        raise ImageExportFailed(
            f"No Chromium at {path}: chart images need a Chromium or Chrome. Install Debian's `chromium` "
            "package, or set WORKBENCH_CHROMIUM to the browser's path.")
    return path


def _file_name(index: int, slide: Slide, fmt: str) -> str:
    return f"{index:02d}-{slide.key}.{fmt}"


async def _render(slides: Sequence[Slide], fmt: str, theme: str, browser: Path, work: Path) -> list[bytes]:
    import kaleido
    from kaleido import PageGenerator

    from workbench.present.deck import topojson_script

    script = work / "world_110m.js"
    script.write_text(topojson_script(), encoding="utf-8")
    page = PageGenerator(mathjax=False, others=[script.as_uri()])
    out: list[bytes] = []
    async with kaleido.Kaleido(page_generator=page, path=str(browser), timeout=120) as renderer:
        for slide in slides:
            figure = themed(slide.figure, theme, height=HEIGHT)
            figure.update_layout(title={"text": slide.title, "x": 0.01, "font": {"size": 30}}, margin={"t": 80})
            out.append(await renderer.calc_fig(figure, opts={"format": fmt, "width": WIDTH, "height": HEIGHT}))
    return out


def render(slides: Sequence[Slide], fmt: str, *, theme: str = "light") -> list[bytes]:
    """Each slide's chart (with its title) as ``fmt`` bytes, in order."""
    if fmt not in FORMATS:
        raise ImageExportFailed(f"Chart images are {' or '.join(FORMATS)}, not {fmt!r}.")
    browser = chromium_path()
    with tempfile.TemporaryDirectory(prefix="workbench-kaleido-") as work:
        try:
            return asyncio.run(_render(slides, fmt, theme, browser, Path(work)))
        except WorkbenchError:
            raise
        except Exception as exc:  # kaleido/choreographer raise their own types; say what failed
            raise ImageExportFailed(
                f"The browser could not draw the charts as {fmt.upper()} ({type(exc).__name__}: {exc}). Check that "
                f"{browser} starts (`{browser} --headless=new --version`), then try again.") from exc


def export_images(slides: Sequence[Slide], out_dir: Path, fmt: str, *, theme: str = "light") -> list[Path]:
    """Write one ``NN-key.fmt`` file per slide into ``out_dir`` (created); returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (slide, data) in enumerate(zip(slides, render(slides, fmt, theme=theme), strict=True), start=1):
        path = out_dir / _file_name(i, slide, fmt)
        path.write_bytes(data)
        written.append(path)
    return written
