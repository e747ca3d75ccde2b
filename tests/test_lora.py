"""LoRA layer: bias kept, exact no-op at B = 0, strength, seeded dropout, parameter count."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from litlora_widgets.engine.lora import LoRALinear, inject_lora
from litlora_widgets.engine.losses import dice_loss, gate, mask_iou, sigmoid_focal_loss


def _layer(dropout: float = 0.0) -> LoRALinear:
    torch.manual_seed(0)
    return LoRALinear(nn.Linear(8, 6), rank=2, alpha=4.0, dropout=dropout)


def test_zero_b_is_exactly_the_base_linear_with_bias():
    base = nn.Linear(8, 6)
    layer = LoRALinear(base, rank=2, alpha=4.0, dropout=0.1)
    layer.add_adapter("a", torch.Generator().manual_seed(0))
    layer.active = "a"
    x = torch.randn(3, 5, 8)
    assert torch.equal(layer(x), base(x))
    assert layer.bias is not None and not layer.bias.requires_grad
    assert not layer.weight.requires_grad


def test_strength_scales_the_update_and_zero_turns_it_off():
    layer = _layer()
    layer.add_adapter("a", torch.Generator().manual_seed(0))
    nn.init.normal_(layer.lora_B["a"])
    layer.active = "a"
    x = torch.randn(4, 8)
    base = nn.functional.linear(x, layer.weight, layer.bias)
    d1 = layer(x) - base
    layer.strength["a"] = 2.0
    torch.testing.assert_close(layer(x) - base, 2 * d1)
    layer.strength["a"] = 0.0
    assert torch.equal(layer(x), base)
    layer.active = None
    assert torch.equal(layer(x), base)


def test_adapters_are_independent_and_removable():
    layer = _layer()
    gen = torch.Generator().manual_seed(0)
    layer.add_adapter("a", gen)
    layer.add_adapter("b", gen)
    assert not torch.equal(layer.lora_A["a"], layer.lora_A["b"])  # init draws advance the RNG
    layer.active = "b"
    layer.remove_adapter("b")
    assert layer.active is None and list(layer.lora_A.keys()) == ["a"]


def test_dropout_is_seeded_and_off_in_eval():
    outs = []
    for _ in range(2):
        layer = _layer(dropout=0.5)
        layer.add_adapter("a", torch.Generator().manual_seed(0))
        nn.init.normal_(layer.lora_B["a"], generator=torch.Generator().manual_seed(1))
        layer.active = "a"
        layer.generator = torch.Generator().manual_seed(7)
        layer.train()
        x = torch.ones(2, 8)
        outs.append(layer(x))
        layer.eval()
        assert torch.equal(layer(x), layer(x))
    assert torch.equal(outs[0], outs[1])


def test_inject_into_sam2_decoder_counts_and_keeps_output(predictor):
    dec = copy.deepcopy(predictor.sam_mask_decoder)
    layers = inject_lora(dec.transformer, ("q_proj", "k_proj", "v_proj"), 4, 4.0, 0.1)
    assert len(layers) == 21  # 7 attention blocks x q/k/v
    gen = torch.Generator().manual_seed(0)
    for layer in layers.values():
        layer.add_adapter("e0", gen)
        layer.active = "e0"
    n = sum(layer.lora_A["e0"].numel() + layer.lora_B["e0"].numel() for layer in layers.values())
    assert n == 35_328
    # Frozen base names are unchanged (q_proj.weight, q_proj.bias): same state-dict keys.
    base_keys = set(predictor.sam_mask_decoder.state_dict())
    assert base_keys <= set(dec.state_dict())

    torch.manual_seed(1)
    emb = torch.randn(1, 256, 16, 16)
    pe = predictor.sam_prompt_encoder.get_dense_pe()
    sparse = torch.randn(1, 2, 256)
    dense = torch.randn(1, 256, 16, 16)
    hr = [torch.randn(1, 32, 64, 64), torch.randn(1, 64, 32, 32)]
    with torch.no_grad():
        ref = predictor.sam_mask_decoder.predict_masks(emb, pe, sparse, dense, False, hr)
        got = dec.predict_masks(emb, pe, sparse, dense, False, hr)
    for a, b in zip(ref, got, strict=True):
        assert torch.equal(a, b)


def test_losses_and_gate():
    logits = torch.full((2, 4, 4), -10.0)
    logits[:, :2] = 10.0
    target = torch.zeros(2, 4, 4)
    target[:, :2] = 1
    assert float(sigmoid_focal_loss(logits, target).max()) < 1e-6
    assert float(dice_loss(logits, target).max()) < 1e-3
    assert float(dice_loss(-logits, target).min()) > 0.9
    gated = gate(logits, torch.tensor([1.0, -0.5]))
    assert torch.equal(gated[0], logits[0]) and bool((gated[1] < -1000).all())
    iou = mask_iou(gated > 0, target > 0)
    assert iou.tolist() == [1.0, 0.0]
    assert (
        mask_iou(
            torch.zeros(1, 2, 2, dtype=torch.bool), torch.zeros(1, 2, 2, dtype=torch.bool)
        ).item()
        == 1.0
    )


@pytest.mark.parametrize(
    "bad",
    [
        dict(rank=0),
        dict(dropout=1.0),
        dict(targets=("fc",)),
        dict(max_experts=0),
        dict(loss_size=3),
        dict(init_lr=-1.0),
    ],
)
def test_config_validation_names_the_field(bad):
    from litlora_widgets.engine.experts import LitConfig
    from litlora_widgets.errors import InputError

    field = next(iter(bad))
    with pytest.raises(InputError, match=f"LitConfig.{field}="):
        LitConfig(**bad).validate()
