"""ActionLog: the user's actions are kept (without arrays); every action reaches listeners."""

import numpy as np

from litlora_widgets.action_log import ActionLog


def test_user_actions_are_kept_without_arrays_and_every_action_is_heard():
    log, heard = ActionLog(), []
    log.add_listener(lambda kind, payload: heard.append((kind, sorted(payload))))
    log.record("correction", frame=3, obj_id=1, mask=np.ones((2, 2), bool), trained=True)
    log.record("propagate", start=0, frames=4)
    assert [(e["kind"], e["frame"], e["obj_id"], e["trained"]) for e in log.entries] == [
        ("correction", 3, 1, True)
    ]
    assert "mask" not in log.entries[0]
    assert heard == [
        ("correction", ["frame", "mask", "obj_id", "trained"]),
        ("propagate", ["frames", "start"]),
    ]


def test_a_removed_listener_hears_nothing_more():
    log, heard = ActionLog(), []
    fn = lambda kind, payload: heard.append(kind)  # noqa: E731
    log.add_listener(fn)
    log.record("undo", label="x")
    log.remove_listener(fn)
    log.record("redo", label="x")
    assert heard == ["undo"]
