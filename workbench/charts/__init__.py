"""Plotly figure builders shared by pages and presenter mode: frame in, figure out, no I/O.

One module per area; everything is importable from here.
"""

from workbench.charts.program import PALETTE, growth

__all__ = ["PALETTE", "growth"]
