"""A scripted annotation run for the journal tests (imported, or run as the kill -9 subprocess).

``python tests/_journal_worker.py WORKDIR`` performs :data:`ACTIONS` on the square clip with a
seeded random-weight SAM2 and prints ``done <n> <digest>`` (flushed) after each completed
action, so the parent can kill it anywhere and check the resumed state against the digest.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import moving_square_clip  # noqa: E402


def seeded_predictor():
    """Random weights are random per process: seed them so a resume elsewhere matches."""
    from litlora_widgets.build_sam import load_predictor

    torch.manual_seed(1234)
    return load_predictor(checkpoint=None, image_size=256, device="cpu", quiet=True)


def lit_config():
    from litlora_widgets.engine.experts import LitConfig

    return LitConfig(init_epochs=10, finetune_epochs=5)


def digest(s) -> str:
    """Hash of everything resume restores exactly: objects, masks, logs, experts, undo steps."""
    st = s.state()
    h = hashlib.sha256()
    for f, objs in sorted(st.masks.items()):
        for o, rle in sorted(objs.items()):
            h.update(f"m{f}:{o}:{rle['counts']}".encode())
    for f, objs in sorted(st.user_masks.items()):
        for o, rle in sorted(objs.items()):
            h.update(f"u{f}:{o}:{rle['counts']}".encode())
    h.update(repr(sorted((o.obj_id, o.name, tuple(o.color)) for o in st.objects.values())).encode())
    h.update(json.dumps([s.events, s.training_log], sort_keys=True, default=str).encode())
    h.update(
        f"{st.next_obj_id}|{s.lit_enabled}|{s.history.undo_labels}|{s.history.redo_labels}".encode()
    )
    for o in sorted(st.banks):
        snap = st.banks[o].snapshot()
        h.update(
            json.dumps(
                [snap.strength, snap.next_id, [(n, len(r)) for n, r in snap.experts]]
            ).encode()
        )
        for name in sorted(snap.adapters):
            for k in sorted(snap.adapters[name]):
                h.update(snap.adapters[name][k].numpy().tobytes())
        for _, replay in snap.experts:
            for smp in replay:
                h.update(smp.image_embed.numpy().tobytes() + smp.target.numpy().tobytes())
        for g in snap.generators:
            h.update(g.numpy().tobytes())
    return h.hexdigest()[:16]


def actions(masks: np.ndarray):
    """The scripted run: every kind of action, including training, undo and redo."""
    shifted = np.roll(masks[3], 5, axis=1)
    return [
        lambda s: s.add_object("square"),
        lambda s: s.add_points(0, 1, [[30, 30], [5, 5]], [1, 0]),
        lambda s: s.add_mask(0, 1, masks[0]),
        lambda s: list(s.propagate(progress=False, max_frames=3)),
        lambda s: s.correct(3, 1, mask=shifted),
        lambda s: s.add_object("second"),
        lambda s: s.add_box(1, 2, [60, 10, 100, 50]),
        lambda s: s.rename_object(2, "box"),
        lambda s: s.accept(4, 1, len(s.candidates(4, 1)) - 1),
        lambda s: s.undo(),
        lambda s: s.undo(),
        lambda s: s.redo(),
        lambda s: s.correct(2, 1, points=[[40, 30]], labels=[1]),
        lambda s: s.remove_object(2),
        lambda s: setattr(s, "lit_enabled", False),
    ]


def main(workdir: str) -> None:
    """Run the script; if ``workdir`` holds a journal, resume it and go on from there."""
    from litlora_widgets.session import Session

    frames, masks = moving_square_clip()
    pred = seeded_predictor()
    if (Path(workdir) / "journal.jsonl").is_file():
        s = Session.resume(workdir, pred, frames)
        print(f"resumed {s.journal.actions} {digest(s)}", flush=True)
    else:
        s = Session(pred, frames, workdir=workdir, lit_config=lit_config())
        print("resumed 0 -", flush=True)
    todo = actions(masks)
    for i in range(s.journal.actions, len(todo)):
        todo[i](s)
        print(f"done {i + 1} {digest(s)}", flush=True)
    s.close()
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
