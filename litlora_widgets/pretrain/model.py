"""The embedded ``litlora-tiny`` model: SAM2's own classes in a configuration small enough for
2 CPU cores (128 px input), built from ``configs/litlora_tiny.yaml``.

Weights are read from safetensors only (never unpickled) and stored as fp16 to stay small;
they are cast back to the model's float32 on load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError

PACKAGE_DIR = Path(__file__).resolve().parents[1]
TINY_CONFIG = PACKAGE_DIR / "configs" / "litlora_tiny.yaml"
TINY_WEIGHTS = PACKAGE_DIR / "weights" / "litlora_tiny.safetensors"

# What sam2's ``build_sam2_video_predictor`` sets for interactive video use (kept in step with
# ``build_sam.VIDEO_POSTPROCESSING``). None of these changes the parameters, only inference.
_VIDEO_SETTINGS: dict[str, Any] = {
    "model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability": True,
    "model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta": 0.05,
    "model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh": 0.98,
    "model.binarize_mask_from_pts_for_mem_enc": True,
    # Hole filling needs sam2's optional compiled extension; 0 skips it without a warning.
    "model.fill_hole_area": 0,
}


def tiny_model_config(overrides: dict[str, Any] | None = None):
    """The OmegaConf config of the tiny predictor, with the video settings applied."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(TINY_CONFIG)
    for key, value in {**_VIDEO_SETTINGS, **(overrides or {})}.items():
        OmegaConf.update(cfg, key, value, force_add=True)
    OmegaConf.resolve(cfg)
    return cfg


def build_tiny_predictor(
    weights: str | Path | None = TINY_WEIGHTS,
    device: str | torch.device = "cpu",
    overrides: dict[str, Any] | None = None,
):
    """A ``SAM2VideoPredictor`` of the litlora-tiny architecture, in eval mode on ``device``.

    ``weights``: a ``.safetensors`` file (default: the shipped weights) or ``None`` for random
    initialisation (what training starts from).
    """
    from hydra.utils import instantiate

    model = instantiate(tiny_model_config(overrides).model, _recursive_=True)
    if weights is not None:
        load_tiny_weights(model, weights)
    return model.to(device).eval()


def load_tiny_weights(model: torch.nn.Module, weights: str | Path) -> None:
    """Load a safetensors state dict that must match ``model`` key for key and shape for shape."""
    from safetensors.torch import load_file

    path = Path(weights)
    if path.suffix != ".safetensors" or not path.is_file():
        raise CheckpointError(
            f"litlora-tiny weights must be an existing .safetensors file, got {str(path)!r}"
        )
    try:
        state = load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - any parse failure means a bad file
        raise CheckpointError(f"{str(path)!r} is not a valid safetensors file ({exc})") from None
    own = model.state_dict()
    bad = sorted(set(own) ^ set(state)) + [
        k for k in own if k in state and own[k].shape != state[k].shape
    ]
    if bad:
        raise CheckpointError(
            f"{str(path)!r} does not fit configs/litlora_tiny.yaml ({len(bad)} keys differ, "
            f"e.g. {bad[0]!r}); it was trained for another architecture"
        )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=True)


def export_weights(
    model: torch.nn.Module, path: str | Path, dtype=torch.float16, step: int | None = None
) -> Path:
    """Write the model's state dict as safetensors (fp16 by default: half the size)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        k: (v.detach().to("cpu", dtype) if v.is_floating_point() else v.detach().cpu())
        .contiguous()
        .clone()
        for k, v in model.state_dict().items()
    }
    meta = {"model": "litlora-tiny", "config": TINY_CONFIG.name}
    if step is not None:
        meta["step"] = str(step)
    save_file(state, str(path), metadata=meta)
    return path
