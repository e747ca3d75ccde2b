"""The terminal demo (`scripts/demo.sh`): it tracks, corrects, trains, accepts and writes files."""

from __future__ import annotations

import json

import pytest

from litlora_widgets.build_sam import TINY_WEIGHTS
from litlora_widgets.demo import run


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no embedded weights at {TINY_WEIGHTS}")
@pytest.mark.slow
def test_demo_corrects_trains_and_ends_better_than_sam2_alone(tmp_path):
    summary = run(tmp_path, frames=24, seed=3, checkpoint=None, config=None)
    assert summary["model"] == "litlora-tiny"
    assert summary["corrections"] > 0 and summary["median_train_seconds"] > 0
    assert summary["final_mean_iou"] > summary["sam2_mean_iou"] + 0.2
    coco = json.loads((tmp_path / "masks.json").read_text())
    assert len(coco["images"]) == 24 and coco["annotations"]
    # an accepted candidate, "absent" ones too, is what the exported masks hold at the end
    assert summary["accepted"]
    for t, iou in summary["accepted"].items():
        assert summary["final_iou"][t] == pytest.approx(iou), t
    assert (tmp_path / "experts.safetensors").is_file() and (tmp_path / "iou.png").is_file()
