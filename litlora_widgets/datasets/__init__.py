"""Data the package ships by construction: procedural videos with exact masks."""

from .synthetic import (
    DEMO_CLIP,
    DIFFICULTIES,
    Effects,
    demo_clip,
    load_textures,
    synthetic_clip,
    write_synthetic_dataset,
)

__all__ = [
    "DEMO_CLIP",
    "DIFFICULTIES",
    "Effects",
    "demo_clip",
    "load_textures",
    "synthetic_clip",
    "write_synthetic_dataset",
]
