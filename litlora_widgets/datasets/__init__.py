"""Data the package ships by construction: procedural videos with exact masks."""

from .synthetic import DIFFICULTIES, synthetic_clip

__all__ = ["DIFFICULTIES", "synthetic_clip"]
