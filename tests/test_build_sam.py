"""Model loading: random weights, checkpoints by path (weights only), bad checkpoints."""

from __future__ import annotations

import os
import pickle
import warnings

import pytest
import torch

from litlora_widgets.build_sam import RandomWeightsWarning, load_predictor, read_state_dict
from litlora_widgets.errors import CheckpointError, InputError


def test_random_weights_are_flagged_and_warned():
    with pytest.warns(RandomWeightsWarning, match="RANDOM weights"):
        p = load_predictor(checkpoint=None, image_size=256, device="cpu")
    assert p.litlora_info.random_weights is True
    assert p.image_size == 256
    assert "random" in p.litlora_info.name
    assert type(p).__name__ == "SAM2VideoPredictor"


def test_checkpoint_round_trip_pt_and_safetensors(predictor, tmp_path):
    from safetensors.torch import save_file

    state = {k: v.clone() for k, v in predictor.state_dict().items()}
    pt = tmp_path / "model.pt"
    torch.save({"model": state}, pt)
    st = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(st))
    for path in (pt, st):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RandomWeightsWarning)  # a checkpoint never warns
            p = load_predictor(path, config="sam2.1_hiera_t", image_size=256, device="cpu")
        assert p.litlora_info.random_weights is False
        for k, v in p.state_dict().items():
            assert torch.equal(v, state[k]), k


def test_checkpoint_of_another_config_names_both(predictor, tmp_path):
    pt = tmp_path / "tiny.pt"
    torch.save({"model": predictor.state_dict()}, pt)
    with pytest.raises(CheckpointError, match=r"tiny\.pt.*does not fit config 'sam2.1_hiera_s'"):
        load_predictor(pt, config="sam2.1_hiera_s", image_size=256, device="cpu")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_checkpoint_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.pt"
    with open(bad, "wb") as fh:
        pickle.dump({"model": _Evil(str(marker))}, fh)
    with pytest.raises(CheckpointError, match="never unpickles"):
        read_state_dict(bad)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content, match", [(None, "does not exist"), (b"", "empty"), (b"\x00garbage", "not a valid")]
)
def test_bad_checkpoint_files(tmp_path, content, match):
    path = tmp_path / "m.safetensors"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        read_state_dict(path)


def test_bad_config_and_image_size():
    with pytest.raises(InputError, match="unknown SAM2 config 'hiera_xl'"):
        load_predictor(checkpoint=None, config="hiera_xl", device="cpu", quiet=True)
    with pytest.raises(InputError, match="multiple of 16"):
        load_predictor(checkpoint=None, image_size=250, device="cpu", quiet=True)


def test_overrides_reach_the_model():
    p = load_predictor(
        checkpoint=None,
        image_size=256,
        device="cpu",
        quiet=True,
        overrides=["++model.add_all_frames_to_correct_as_cond=true"],
    )
    assert p.add_all_frames_to_correct_as_cond is True


CKPT = os.environ.get("LITLORA_SAM2_CHECKPOINT")


@pytest.mark.checkpoint
@pytest.mark.skipif(not CKPT, reason="set LITLORA_SAM2_CHECKPOINT to an official SAM2 .pt file")
def test_real_checkpoint_loads():
    config = os.environ.get("LITLORA_SAM2_CONFIG", "sam2.1_hiera_t")
    p = load_predictor(CKPT, config=config, device="cpu")
    assert p.litlora_info.random_weights is False
