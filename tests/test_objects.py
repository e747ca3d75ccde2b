"""The session's object registry: ids, names, colours and the next id, without a model."""

from __future__ import annotations

import pytest

from litlora_widgets.errors import InputError
from litlora_widgets.objects import ObjectRegistry
from litlora_widgets.state import object_color


def test_ids_follow_the_highest_ever_given_and_restore_as_one_value():
    reg = ObjectRegistry()
    assert reg.new_id() == 1 and len(reg) == 0
    reg.add(reg.new_id(), "car")
    reg.add(reg.new_id(7), "dog")
    assert reg.next_id == 8 and list(reg) == [1, 7]
    assert reg[7].name == "dog" and reg[7].color == object_color(7)
    snap = (reg.infos(), reg.next_id)
    reg.rename(7, "cat")
    reg.remove(1)
    assert reg.infos() == {7: reg[7]} and reg[7].name == "cat" and reg[7].color == object_color(7)
    assert reg.new_id() == 8  # a removed id is not handed out again by default
    reg.restore(*snap)
    assert [(o, i.name) for o, i in reg.infos().items()] == [(1, "car"), (7, "dog")]
    snap[0].clear()  # restore copied: the caller's dict is its own
    assert 1 in reg and 2 not in reg


def test_bad_ids_are_refused_in_the_users_words():
    reg = ObjectRegistry()
    reg.add(1, "car")
    with pytest.raises(InputError, match="object 1 already exists; pick another id or omit it"):
        reg.new_id(1)
    with pytest.raises(InputError, match="obj_id must be in 1..255"):
        reg.new_id(256)
    with pytest.raises(InputError, match=r"object 3 does not exist \(objects: \[1\]\)"):
        reg.check(3)
    with pytest.raises(InputError, match="obj_id must be an integer, got True"):
        reg.check(True)
    assert reg.check(1) == 1 and reg.pick(None, None) == 1
    with pytest.raises(InputError, match="no object has trained experts yet"):
        reg.pick(None, set())
