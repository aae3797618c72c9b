"""Every participants' page as a Starlette route, for :func:`workbench.ui.server.create_app` to mount.

A page module adds its routes here, one line each (``routes(site)`` builds them for one serving process).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from workbench.participants import checkins, pages, web
from workbench.participants.web import Site


def routes(site: Site) -> list[BaseRoute]:
    """The participants' pages of one serving process."""
    return [
        *web.base_routes(site),
        *pages.routes(site),
        *checkins.routes(site),
    ]


__all__ = ["Site", "routes"]
