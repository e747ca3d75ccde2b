"""The embedded litlora-tiny model: its builder (``model``) and training recipe (``train``)."""

from .model import TINY_CONFIG, TINY_WEIGHTS, build_tiny_predictor

__all__ = ["TINY_CONFIG", "TINY_WEIGHTS", "build_tiny_predictor"]
