"""Each slide's chart as PNG or SVG, through kaleido and the system Chromium, with nothing fetched.

How kaleido finds a browser (kaleido 1.x starts Chrome through ``choreographer``): a Chrome it downloaded
itself (``kaleido_get_chrome``) first, else the ``path=`` it is given, else ``$BROWSER_PATH``, else
``chrome``/``chromium``… on ``PATH`` and the usual install folders. The workbench passes the system Chromium
explicitly (``WORKBENCH_CHROMIUM``, default ``/usr/bin/chromium``) and never downloads one.

The page kaleido renders in loads plotly.js from the plotly package (a local file), no MathJax (kaleido's
default is a CDN), and a local script that registers the vendored world map with plotly.js, so a geo
chart draws without fetching its topology.

Each export starts a Chromium (several processes, about 1 GB for a deck), so it is a signed-in action
(:func:`render` refuses without a user: the published Present page offers no image to the public) and the
process draws one export at a time (:data:`QUEUE`): a second export waits for the first up to
``WORKBENCH_IMAGE_WAIT_SECONDS`` (default 20 s), then is told the export is busy, to try again.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from workbench import files
from workbench.access import Action, NotAllowed, User, require
from workbench.charts.present import themed
from workbench.config import settings
from workbench.errors import WorkbenchError
from workbench.present.deck import topojson_script
from workbench.present.slides import Slide

FORMATS = ("png", "svg")
WIDTH, HEIGHT = 1600, 900


#: How long an export waits for the one being drawn before it is told to try again (seconds).
DEFAULT_WAIT_SECONDS = 20.0


class ImageExportFailed(WorkbenchError):
    """The chart images could not be made (no browser, or the browser failed)."""


class ImageExportBusy(ImageExportFailed):
    """Another export was being drawn all the time this one waited."""


class ExportQueue:
    """One export at a time in this process: a lock taken with a timeout. ``history`` keeps when each of the
    last exports held it (``time.monotonic()`` start and end), which shows that they never overlap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.history: deque[tuple[float, float]] = deque(maxlen=100)

    @contextmanager
    def slot(self, wait: float) -> Iterator[None]:
        """Hold the one slot; wait up to ``wait`` seconds for it, then :class:`ImageExportBusy`."""
        if not self._lock.acquire(timeout=max(float(wait), 0.0)):
            raise ImageExportBusy(f"Another chart image is being drawn: busy, try again in a moment (waited "
                                  f"{float(wait):g} s; images are drawn one at a time).")
        started = time.monotonic()
        try:
            yield
        finally:
            self.history.append((started, time.monotonic()))
            self._lock.release()


#: The process's one queue of image exports.
QUEUE = ExportQueue()


def wait_seconds() -> float:
    """``$WORKBENCH_IMAGE_WAIT_SECONDS`` (read by :mod:`workbench.config`; default :data:`DEFAULT_WAIT_SECONDS`)."""
    wait = settings().image_wait_seconds
    return DEFAULT_WAIT_SECONDS if wait is None else wait


def chromium_path() -> Path:
    """The browser kaleido drives: ``$WORKBENCH_CHROMIUM``, else ``/usr/bin/chromium`` (:mod:`workbench.config`)."""
    path = settings().chromium
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


def render(slides: Sequence[Slide], fmt: str, *, by: User | None, theme: str = "light",
           wait: float | None = None) -> list[bytes]:
    """Each slide's chart (with its title) as ``fmt`` bytes, in order, for the signed-in ``by``.

    Refused without a user (:class:`~workbench.access.NotAllowed`); drawn one export at a time (:data:`QUEUE`),
    waiting up to ``wait`` seconds (default :func:`wait_seconds`) for the one before, else
    :class:`ImageExportBusy`.
    """
    if by is None:
        raise NotAllowed("Sign in to export chart images: each one starts a browser on the server.")
    require(by, Action.PRESENT)
    if fmt not in FORMATS:
        raise ImageExportFailed(f"Chart images are {' or '.join(FORMATS)}, not {fmt!r}.")
    browser = chromium_path()
    with QUEUE.slot(wait_seconds() if wait is None else wait), \
            tempfile.TemporaryDirectory(prefix="workbench-kaleido-") as work:
        try:
            return asyncio.run(_render(slides, fmt, theme, browser, Path(work)))
        except WorkbenchError:
            raise
        except Exception as exc:  # kaleido/choreographer raise their own types; say what failed
            raise ImageExportFailed(
                f"The browser could not draw the charts as {fmt.upper()} ({type(exc).__name__}: {exc}). Check that "
                f"{browser} starts (`{browser} --headless=new --version`), then try again.") from exc


def export_images(slides: Sequence[Slide], out_dir: Path, fmt: str, *, by: User, theme: str = "light") -> list[Path]:
    """Write one ``NN-key.fmt`` file per slide into ``out_dir`` (created owner-only); returns the paths.

    For ``workbench present export`` (``by``: :func:`~workbench.access.command_line_user`) and anyone signed in.
    """
    out_dir = files.private_dir(Path(out_dir))
    images = render(slides, fmt, theme=theme, by=by)
    written = []
    for i, (slide, data) in enumerate(zip(slides, images, strict=True), start=1):
        written.append(files.write_private(out_dir / _file_name(i, slide, fmt), data))
    return written
