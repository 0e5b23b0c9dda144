"""The live charts' JSON, remembered by the setting that drew it (components/trajectory_views.py).

Presenter mode is part of every key and applied to every figure here, the widget side of the
live chart: ``live_plot_json`` only writes figures, so it stays a pure figure module."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from charts.live_plot_json import figure_json
from components import presenter


class JsonMemo:
    """Figures' JSON by a caller's key, the ``size`` most recently used, shared by every
    session of the process. The key names everything the figure depends on but presenter mode,
    which is added here."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()
        self._building = one_at_a_time()

    def get(self, key, figure: Callable[[], dict], presenting: bool | None = None) -> str:
        """The JSON of ``figure()`` as drawn (presenter mode applied), built only when missing.
        ``presenting``: presenter mode as a run read it, for a caller outside the run (a drag
        preview's route, ``live_preview``); by default this run's."""
        presenting = presenter.active() if presenting is None else presenting
        key = (key, presenting)
        with self._building(key):  # the same figure asked twice at once is built once
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            spec = figure_json(presenter.scale_figure(figure(), presenting=presenting))
            with self._lock:
                self._items[key] = spec
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return spec


def one_at_a_time(stripes: int = 64):
    """``with guard(key):`` lets one thread at a time work on ``key`` (and the few keys that
    share its stripe), so work asked twice at once is done once: a key press's preview from
    the route and its own rerun, or a class moving one slider to the same value. The second
    caller waits, then finds the result remembered."""
    locks = [threading.RLock() for _ in range(stripes)]
    return lambda key: locks[hash(key) % stripes]

