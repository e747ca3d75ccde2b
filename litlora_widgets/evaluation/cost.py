"""How long a human annotator would have spent: a simple, configurable cost model.

The simulated user's actions are counted exactly; turning them into seconds needs per-action
costs that depend on the tool and the annotator. The defaults below are assumptions chosen to be
plausible for a mouse-driven tool, not measurements: set them from a timed session with your own
annotators (``litlora-eval --cost click=2.5 mask=40``) before quoting hours saved.

    time = check × judged frames            (looking at every annotated frame once)
         + click × clicks                   (each corrective click, incl. failed attempts)
         + mask × full-mask corrections     (redrawing the mask when 3 clicks did not fix it)
         + review × proposal reviews        (looking at the experts' proposals on an error frame)
         + accept × accepted proposals the user picked (auto-accepts cost nothing)
         + training × LIT-LoRA trainings    (waiting for training before tracking resumes)

A proposal review happens on every error frame where experts exist: under the oracle judge the
user inspects the proposals (accepts, or corrects after looking); under the realistic judge only
when no proposal was confident enough to be accepted unseen. Training waits use a fixed cost so
the estimate is reproducible; the measured training seconds are in the summary's ``timing``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import InputError


@dataclass(frozen=True)
class CostModel:
    """Seconds per action (see the module docstring for the formula)."""

    check: float = 1.0
    click: float = 2.0
    mask: float = 30.0
    review: float = 2.0
    accept: float = 0.5
    training: float = 1.0

    @classmethod
    def parse(cls, items) -> CostModel:
        """From a dict or ``["click=2.5", "mask=40"]``; unknown keys and negatives refused."""
        if items is None:
            return cls()
        if isinstance(items, CostModel):
            return items
        if not isinstance(items, dict):
            d = {}
            for it in items:
                k, sep, v = str(it).partition("=")
                if not sep:
                    raise InputError(f"--cost {it!r}: write KEY=SECONDS, e.g. click=2.5")
                d[k.strip()] = v
            items = d
        names = [f.name for f in fields(cls)]
        bad = [k for k in items if k not in names]
        if bad:
            raise InputError(f"unknown cost(s) {bad}; the cost model has {names}")
        try:
            vals = {k: float(v) for k, v in items.items()}
        except ValueError as e:
            raise InputError(f"costs must be seconds (numbers): {e}") from e
        neg = {k: v for k, v in vals.items() if not v >= 0}
        if neg:
            raise InputError(f"costs must be >= 0 seconds, got {neg}")
        return cls(**vals)

    def to_dict(self) -> dict:
        return asdict(self)


def action_counts(obj: dict) -> dict[str, int]:
    """The counted actions of one object record (see the formula)."""
    fixes = [e for e in obj["events"] if e["action"] in ("click", "mask")]
    if obj.get("judge") == "realistic":
        reviews = int(obj["reviews"])
    else:  # oracle: the user inspects the proposals on every error frame that has some
        reviews = int(obj["accepts"]) + sum(1 for e in fixes if e.get("experts_before"))
    trained = sum(1 for e in fixes if e.get("trained"))
    return {
        "check": int(obj["frames"]),
        "click": int(obj["clicks"]),
        "mask": int(obj["mask_corrections"]),
        "review": reviews,
        "accept": int(obj["accepts"]) - int(obj.get("auto_accepts", 0)),
        "training": trained,
    }


def seconds(obj: dict, cost: CostModel) -> float:
    """Estimated annotation seconds for one object."""
    c = cost.to_dict()
    return float(sum(c[k] * n for k, n in action_counts(obj).items()))
