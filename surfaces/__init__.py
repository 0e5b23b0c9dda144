"""Analytic 2-D loss surfaces, each with the metadata the app and the tests need."""

from surfaces.lookup import as_surface
from surfaces.registry import SURFACES, Surface, SurfaceParam

__all__ = ["SURFACES", "Surface", "SurfaceParam", "as_surface"]
