"""Errors users see. Each message names the problem and the fix."""

from __future__ import annotations


class LitLoraError(Exception):
    """Base class for every error raised on purpose by litlora-widgets."""


class InputError(LitLoraError, ValueError):
    """Bad user input (shapes, ranges, files). The session is left unchanged."""


class VideoError(InputError):
    """A video that cannot be read, is empty, or has frames of mixed sizes."""


class CheckpointError(LitLoraError, ValueError):
    """A model checkpoint that is unreadable, unsafe, or does not fit the config."""


class AdapterError(LitLoraError, ValueError):
    """An adapter file that is corrupt, unsafe, out of range, or for another model."""


class TrainingError(LitLoraError, RuntimeError):
    """Training failed (e.g. a NaN loss); the experts are restored to their state before."""


class Cancelled(LitLoraError):
    """Long work (propagation, training, evaluation) was cancelled by the user."""
