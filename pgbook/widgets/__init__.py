"""The book's widgets: controls that respond live in Jupyter and in the static book.

``core`` holds the one mechanism they all share (precomputed figures in a Stack,
switched in the browser by ``jslink``); each other module is one widget of one
chapter, with the figure it draws next to it.
"""

from .core import FigureGrid, FigureSlider, figure_png, static_build

__all__ = ["FigureGrid", "FigureSlider", "figure_png", "static_build"]
