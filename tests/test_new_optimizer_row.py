"""Issue 12's first measure: adding an optimizer is its rule, its row and its two reference
entries; nothing else is needed for a correct app. A hypothetical new method (Adam's rule under a
new name, colour and dash) is added to the registry alone, and every page that offers a choice of
optimizer takes it from a link and draws exactly what it draws for Adam, raising nothing."""

import dataclasses

import numpy as np
import pytest
from apptest_util import assert_clean, charts, decode, open_app, path_traces

from optimizers import OPTIMIZERS

NEW = "newadam"


@pytest.fixture
def new_row(monkeypatch):
    row = dataclasses.replace(OPTIMIZERS["adam"], key=NEW, title="NewAdam", color="grey",
                              dash="dashdot")
    monkeypatch.setitem(OPTIMIZERS, NEW, row)
    return row


# page, the link that picks the new method alone, and how to find it in the page's first chart
PAGES = {
    "playground": (None, "optimizers"),
    "step inspector": ("app_pages/step_inspector.py", "si.optimizer"),
    "moments": ("app_pages/moments.py", "mv.optimizers"),
    "hyperparameter map": ("app_pages/hyperparameter_map.py", "hm.optimizer"),
    "cliff clipping": ("app_pages/cliff_clipping.py", "clip.optimizer"),
}


def numbers(at) -> list:
    """Every chart's plotted numbers, without names, colours or dashes."""
    return [[decode(t[axis]) for t in chart["data"] for axis in ("x", "y", "z") if axis in t]
            for chart in charts(at)]


@pytest.mark.parametrize("name", PAGES)
def test_a_row_alone_puts_a_new_optimizer_on_every_page(new_row, name):
    page, key = PAGES[name]
    at = open_app({key: new_row.short}, page=page)
    assert_clean(at)
    assert at.session_state[key] in (NEW, [NEW]), at.session_state[key]
    assert not [w.value for w in at.warning if "link" in w.value.lower()]
    if page is None:
        assert set(path_traces(charts(at)[0])) == {NEW}
    adam = open_app({key: OPTIMIZERS["adam"].short}, page=page)
    drawn, as_adam = numbers(at), numbers(adam)
    assert drawn and [len(c) for c in drawn] == [len(c) for c in as_adam]
    for chart, adam_chart in zip(drawn, as_adam):
        for values, adam_values in zip(chart, adam_chart):
            np.testing.assert_array_equal(values, adam_values)
