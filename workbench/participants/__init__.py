"""The participants' own pages: apply, confirm, see and change an application, unsubscribe (issue 19).

- :mod:`~workbench.participants.tokens`: signed, single-purpose, expiring links (no personal data in a URL);
- :mod:`~workbench.participants.i18n`: the pages' languages (en, fr, es) and country names in them;
- :mod:`~workbench.participants.web`: what every page shares (templates, CSRF, honeypot, limits, error pages);
- :mod:`~workbench.participants.routes`: the routes :mod:`workbench.ui.server` mounts beside Streamlit's.

The library layer: no Streamlit. Templates live in ``workbench/messages/templates/pages/``.
"""
