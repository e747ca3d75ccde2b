"""Model factories: every way to get a SAM2 video predictor lives here.

Configs are composed with OmegaConf directly (not through hydra's global config search), so
sam2's own YAMLs, our embedded model's YAML and a user's YAML path all load the same way, and
no hydra state leaks between calls. Checkpoints are read with ``weights_only=True`` or from
safetensors: a checkpoint is never unpickled.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, InputError

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TINY_NAME = "litlora-tiny"
TINY_CONFIG = PACKAGE_DIR / "configs" / "litlora_tiny.yaml"
TINY_WEIGHTS = PACKAGE_DIR / "weights" / "litlora_tiny.safetensors"

# Short names users type -> YAML inside the sam2 package.
SAM2_CONFIGS = {
    f"{ver}_hiera_{size}": f"configs/{ver}/{ver}_hiera_{size}.yaml"
    for ver in ("sam2", "sam2.1")
    for size in ("t", "s", "b+", "l")
}
# Hugging Face hub ids -> (config short name, checkpoint file name).
HUB_IDS = {
    f"facebook/{ver}-hiera-{long}": (f"{ver}_hiera_{short}", f"{ver}_hiera_{long_file}.pt")
    for ver in ("sam2", "sam2.1")
    for long, short, long_file in (
        ("tiny", "t", "tiny"),
        ("small", "s", "small"),
        ("base-plus", "b+", "base_plus"),
        ("large", "l", "large"),
    )
}

# What sam2's own ``build_sam2_video_predictor`` applies for interactive video use.
VIDEO_POSTPROCESSING = {
    "model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability": True,
    "model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta": 0.05,
    "model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh": 0.98,
    "model.binarize_mask_from_pts_for_mem_enc": True,
    "model.fill_hole_area": 8,
}


class RandomWeightsWarning(UserWarning):
    """SAM2 was built without trained weights: masks are meaningless except for testing."""


@dataclass(frozen=True)
class ModelInfo:
    """What a predictor is; every session output carries it (``random_weights`` above all)."""

    name: str
    config: str
    checkpoint: str | None
    random_weights: bool
    device: str
    image_size: int
    autocast_dtype: str | None  # "bfloat16" on CUDA, None on CPU

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def autocast(self):
        """The autocast context to run the model in (bf16 on CUDA; a no-op on CPU)."""
        if self.autocast_dtype is None:
            import contextlib

            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=getattr(torch, self.autocast_dtype))


_DEFAULT: Any = object()


def load_predictor(
    checkpoint: str | Path | None = _DEFAULT,
    config: str | Path | None = None,
    device: str | torch.device = "auto",
    image_size: int | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    quiet: bool = False,
):
    """Build a SAM2 video predictor.

    - ``load_predictor()``: the embedded ``litlora-tiny`` model when its weights ship with the
      package, else SAM2.1 hiera-tiny with random weights (with a warning).
    - ``load_predictor("path/to/sam2.1_hiera_tiny.pt", config="sam2.1_hiera_t")``: official
      weights (``.pt`` read with ``weights_only=True``, or ``.safetensors``).
    - ``load_predictor("facebook/sam2.1-hiera-tiny")``: hub id, where a network exists.
    - ``load_predictor(checkpoint=None, image_size=256)``: the real architecture with random
      weights — what the tests use.

    ``config`` is a short name (``"sam2.1_hiera_t"``), a YAML path, or ``"litlora-tiny"``.
    ``overrides`` set config keys, e.g. ``{"model.add_all_frames_to_correct_as_cond": True}``
    or hydra-style ``["++model.clear_non_cond_mem_around_input=true"]``.
    The returned predictor has a ``litlora_info`` attribute (:class:`ModelInfo`).
    """
    dev = resolve_device(device)
    use_default = checkpoint is _DEFAULT
    if use_default:
        checkpoint = None
    if checkpoint is not None and str(checkpoint) in (TINY_NAME, "default"):
        checkpoint, config, use_default = None, TINY_NAME, True
    if checkpoint is not None and str(checkpoint) == "random":
        checkpoint = None
    if checkpoint is not None and str(checkpoint) in HUB_IDS:
        config_name, filename = HUB_IDS[str(checkpoint)]
        checkpoint = _hub_download(str(checkpoint), filename)
        config = config or config_name

    if (config is None and use_default and TINY_WEIGHTS.exists()) or str(config) == TINY_NAME:
        if image_size is not None:
            raise InputError(
                f"image_size cannot be changed for the embedded {TINY_NAME} model (it was "
                "trained at its own size); use load_predictor(checkpoint=None, image_size=N) "
                "for a random-weight SAM2 at another size"
            )
        return _load_tiny(dev, checkpoint, overrides)

    config = config or "sam2.1_hiera_t"
    cfg_path = resolve_config(config)
    model = _instantiate(cfg_path, image_size, overrides)
    random_weights = checkpoint is None
    if random_weights:
        if not quiet:
            warnings.warn(
                f"SAM2 ({config}) was built with RANDOM weights: it tracks nothing and its masks "
                "are meaningless. Pass a checkpoint path (e.g. sam2.1_hiera_tiny.pt) for real "
                "use; random weights are for tests.",
                RandomWeightsWarning,
                stacklevel=2,
            )
    else:
        state = read_state_dict(checkpoint)
        _load_into(model, state, checkpoint, str(config))
    model = model.to(dev).eval()
    model.litlora_info = ModelInfo(
        name=(f"{config} (random weights)" if random_weights else Path(str(checkpoint)).stem),
        config=str(config),
        checkpoint=None if random_weights else str(checkpoint),
        random_weights=random_weights,
        device=str(dev),
        image_size=int(model.image_size),
        autocast_dtype="bfloat16" if dev.type == "cuda" else None,
    )
    return model


# LIT-LoRA settings tuned per model; others get the authors' defaults. On litlora-tiny the
# authors' lr 1e-4 and 10-epoch plateau rule save half the corrections that lr 1e-3 with 30
# epochs before any early stop saves (v2, 10 hard clips: -16.7 % vs -33.3 %; on v1 their kept
# weights were the untrained ones). With these settings one correction in notebook 02 lifts
# the next frames from 0.58 (plain SAM2) to 0.80 (MODEL_CARD.md).
_LIT_DEFAULTS: dict[str, dict[str, Any]] = {
    TINY_NAME: {"init_lr": 1e-3, "finetune_lr": 5e-4, "min_epochs": 30},
}


def default_lit_config(predictor):
    """The ``LitConfig`` a session uses for ``predictor`` when none is given."""
    from .engine.experts import LitConfig

    return LitConfig(**_LIT_DEFAULTS.get(model_info(predictor).name, {}))


def default_predictor(device: str | torch.device = "auto"):
    """What demos, notebooks and ``annotate()`` use: the embedded model when its weights ship,
    else the random-weight SAM2.1 hiera-tiny at 256 px (fast enough on a CPU to show the
    mechanics; the warning says it tracks nothing)."""
    if TINY_WEIGHTS.exists():
        return load_predictor(device=device)
    return load_predictor(checkpoint=None, image_size=256, device=device)


def resolve_device(device: str | torch.device) -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device='cuda' was requested but no CUDA GPU is available; use 'auto'")
    return dev


def resolve_config(config: str | Path) -> Path:
    """A config short name or YAML path -> the YAML file."""
    if str(config) == TINY_NAME:
        return TINY_CONFIG
    if str(config) in SAM2_CONFIGS:
        spec = importlib.util.find_spec("sam2")
        if spec is None or not spec.submodule_search_locations:
            raise CheckpointError("the sam2 package is not installed; run scripts/setup.sh")
        return Path(spec.submodule_search_locations[0]) / SAM2_CONFIGS[str(config)]
    path = Path(config)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    names = ", ".join(sorted(SAM2_CONFIGS)) + f", {TINY_NAME}"
    raise InputError(f"unknown SAM2 config {str(config)!r}; use one of {names} or a YAML path")


def _instantiate(cfg_path: Path, image_size: int | None, overrides):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(cfg_path)
    settings: dict[str, Any] = {"model._target_": "sam2.sam2_video_predictor.SAM2VideoPredictor"}
    settings.update(VIDEO_POSTPROCESSING)
    if importlib.util.find_spec("sam2._C") is None:
        # Hole filling needs sam2's compiled extension; without it sam2 would warn on every
        # frame and skip the step anyway. Turning it off is the same result, silently.
        settings["model.fill_hole_area"] = 0
    if image_size is not None:
        if int(image_size) % 16 or int(image_size) < 64:
            raise InputError(f"image_size must be a multiple of 16 and ≥ 64, got {image_size}")
        settings["model.image_size"] = int(image_size)
    settings.update(_parse_overrides(overrides))
    for key, value in settings.items():
        OmegaConf.update(cfg, key, value, force_add=True)
    OmegaConf.resolve(cfg)
    return instantiate(cfg.model, _recursive_=True)


def _parse_overrides(overrides) -> dict[str, Any]:
    if overrides is None:
        return {}
    if isinstance(overrides, dict):
        return dict(overrides)
    import yaml

    out = {}
    for item in overrides:
        key, sep, value = str(item).lstrip("+").partition("=")
        if not sep:
            raise InputError(f"override {item!r} must look like 'model.key=value'")
        out[key] = yaml.safe_load(value)
    return out


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read weights without unpickling: safetensors, or torch.load(weights_only=True)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist; check the path")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {str(path)!r} is empty (0 bytes); download it again")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as exc:  # noqa: BLE001 - any parse failure means a bad file
            raise CheckpointError(
                f"checkpoint {str(path)!r} is not a valid safetensors file ({exc}); "
                "download it again"
            ) from None
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(
            f"checkpoint {str(path)!r} could not be read as weights only ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}). litlora-widgets never unpickles arbitrary "
            "objects; use an official SAM2 .pt file or a .safetensors file"
        ) from None
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds no state dict of tensors (expected {{'model': ...}} "
            "as in the official SAM2 checkpoints)"
        )
    return obj


def _load_into(model, state: dict[str, torch.Tensor], checkpoint, config: str) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        if shapes:
            k = shapes[0]
            parts.append(
                f"{len(shapes)} shape mismatches (e.g. {k}: checkpoint "
                f"{tuple(state[k].shape)} vs config {tuple(own[k].shape)})"
            )
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {unexpected[0]})")
        raise CheckpointError(
            f"checkpoint {str(checkpoint)!r} does not fit config {config!r}: "
            + "; ".join(parts)
            + ". Pick the config of the same model size (e.g. sam2.1_hiera_l for "
            "sam2.1_hiera_large.pt)"
        )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=True)


def _hub_download(model_id: str, filename: str) -> str:
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise CheckpointError(
            f"loading {model_id!r} from the hub needs huggingface_hub (pip install "
            "huggingface_hub) and a network; or download the checkpoint and pass its path"
        ) from None
    try:
        return hf_hub_download(repo_id=model_id, filename=filename)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(
            f"could not download {filename} of {model_id!r} ({type(exc).__name__}); with no "
            "network, download it elsewhere and pass the file path"
        ) from None


def _load_tiny(dev: torch.device, weights, overrides):
    weights = Path(weights) if weights is not None else TINY_WEIGHTS
    if not weights.is_file():
        raise CheckpointError(
            f"the embedded {TINY_NAME} weights are missing ({weights}); reinstall litlora-widgets "
            "or pass checkpoint=None for a random-weight SAM2"
        )
    model = _instantiate(TINY_CONFIG, None, overrides)
    _load_into(model, read_state_dict(weights), weights, TINY_NAME)
    model = model.to(dev).eval()
    model.litlora_info = ModelInfo(
        name=TINY_NAME,
        config=TINY_NAME,
        checkpoint=str(weights),
        random_weights=False,
        device=str(dev),
        image_size=int(model.image_size),
        autocast_dtype="bfloat16" if dev.type == "cuda" else None,
    )
    return model


def model_info(predictor) -> ModelInfo:
    """The :class:`ModelInfo` of a predictor, also for one built directly with sam2."""
    info = getattr(predictor, "litlora_info", None)
    if info is None:
        dev = next(predictor.parameters()).device
        info = ModelInfo(
            name=type(predictor).__name__,
            config="unknown",
            checkpoint=None,
            random_weights=False,
            device=str(dev),
            image_size=int(predictor.image_size),
            autocast_dtype="bfloat16" if dev.type == "cuda" else None,
        )
    return info
