"""Multi-adapter LoRA for the q/k/v projections of SAM2's mask decoder.

Our own (not PEFT) because we need: the projections' biases kept (a zero-B adapter must give
SAM2's decoder output bit for bit), one adapter per expert with a per-adapter strength, seeded
dropout, and state-dict names identical to SAM2's for the frozen weights (so the base-decoder
fingerprint is the same before and after wrapping). PEFT would also cost a ~4.5 s cold import
of transformers + accelerate.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` (weight *and* bias) plus named low-rank adapters.

    ``y = x W^T + b + strength * (alpha / rank) * B A dropout(x)`` for the active adapter only.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float):
        super().__init__()
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight = nn.Parameter(base.weight.detach().clone(), requires_grad=False)
        bias = base.bias.detach().clone() if base.bias is not None else None
        self.bias = nn.Parameter(bias, requires_grad=False) if bias is not None else None
        self.rank, self.scale, self.dropout = rank, alpha / rank, dropout
        self.lora_A = nn.ParameterDict()
        self.lora_B = nn.ParameterDict()
        self.strength: dict[str, float] = {}
        self.active: str | None = None
        self.generator: torch.Generator | None = None  # seeded dropout, set by the owner

    def add_adapter(self, name: str, generator: torch.Generator | None = None) -> None:
        """A Kaiming-uniform (a=sqrt(5), like nn.Linear), B zeros: starts as a no-op."""
        w = self.weight
        a = torch.empty(self.rank, self.in_features, dtype=torch.float32)
        nn.init.kaiming_uniform_(a, a=math.sqrt(5), generator=generator)
        self.lora_A[name] = nn.Parameter(a.to(w.device))
        b = torch.zeros(self.out_features, self.rank, device=w.device)
        self.lora_B[name] = nn.Parameter(b)
        self.strength[name] = 1.0

    def remove_adapter(self, name: str) -> None:
        del self.lora_A[name], self.lora_B[name]
        self.strength.pop(name, None)
        if self.active == name:
            self.active = None

    def _drop(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.dropout <= 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.dropout
        return x * keep.to(x.dtype) / (1.0 - self.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight, self.bias)
        name = self.active
        if name is None:
            return out
        a, b = self.lora_A[name], self.lora_B[name]
        delta = F.linear(F.linear(self._drop(x), a.to(x.dtype)), b.to(x.dtype))
        return out + delta * (self.scale * self.strength[name])

    def extra_repr(self) -> str:
        return (
            f"in={self.in_features}, out={self.out_features}, rank={self.rank}, "
            f"adapters={list(self.lora_A.keys())}, active={self.active}"
        )


def inject_lora(
    module: nn.Module, targets: tuple[str, ...], rank: int, alpha: float, dropout: float
) -> dict[str, LoRALinear]:
    """Replace, in place, every ``nn.Linear`` child named in ``targets``; returns them by path."""
    found: dict[str, LoRALinear] = {}
    for path, parent in list(module.named_modules()):
        for child_name, child in list(parent.named_children()):
            if child_name in targets and isinstance(child, nn.Linear):
                layer = LoRALinear(child, rank, alpha, dropout)
                setattr(parent, child_name, layer)
                found[f"{path}.{child_name}" if path else child_name] = layer
    return found
