"""Drag previews that skip Streamlit's rerun: a small HTTP route answers them with the chart.

A preview sent as a widget trigger (``live_slider``) reruns a fragment, and every rerun makes
the browser's React re-render the whole page (~6,200 components: 0.4-1.8 s of chromium's CPU
per preview, so a drag showed 1-3 updates a second). Here the run that draws a chart also
*offers* how to draw it again at another value of one of its live sliders: a function kept in
this process under the session's random token. While a thumb is dragged, the browser asks
``GET <route>?token=..&group=..&slider=..&index=..`` and hands the answer (the figure's JSON)
straight to the chart on screen (``live_plot.js``): no rerun, no React, and nothing written to
the URL or the session. Releasing the thumb commits the value as before, and that rerun draws
the same figure (the runs and their JSON are remembered per setting).

The route exists when the server is started through ``server.py`` (``st.App`` with this
module's ``routes()``): ``make run``, ``make serve``, the tests' server. Without it (AppTest,
a plain ``streamlit run app.py``) the watcher sends previews as triggers, as before.

An offer is a plain function of (slider key, option index): it closes over the values the run
read, because a route has no session state to read (nor presenter mode, nor the widgets). It
returns None for a slider or index it does not know; the route then answers 404.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable

import streamlit as st

Offer = Callable[[str, int], "str | None"]

ROUTE = "api/descent/preview"  # under server.baseUrlPath, as Streamlit's own routes are
MAX_OFFERS = 2048  # sessions x groups; the oldest go first (a session's next run offers again)
_TOKEN = "live_preview.token"  # session state: this session's token

_offers: OrderedDict[tuple[str, str], Offer] = OrderedDict()
_lock = threading.Lock()
_route_path: str | None = None  # set by routes(): None while no route serves previews


def routes(base_url_path: str | None) -> list:
    """The starlette routes to hand ``st.App`` (``server.py``)."""
    from starlette.routing import Route

    global _route_path
    _route_path = "/" + "/".join(p for p in ((base_url_path or "").strip("/"), ROUTE) if p)
    return [Route(_route_path, _answer, methods=["GET"])]


def endpoint() -> dict | None:
    """What a watcher needs to ask for previews (the route and this session's token), or None
    when this server has no route."""
    if _route_path is None:
        return None
    token = st.session_state.get(_TOKEN)
    if not isinstance(token, str):
        token = st.session_state[_TOKEN] = secrets.token_urlsafe(18)
    return {"url": _route_path, "token": token}


def offer(group: str, draw: Offer) -> None:
    """Keep ``draw`` as this session's way to preview the watcher ``group``'s sliders (called
    by the run that draws the chart; it replaces the last run's)."""
    where = endpoint()
    if where is None:
        return
    with _lock:
        _offers[(where["token"], group)] = draw
        _offers.move_to_end((where["token"], group))
        while len(_offers) > MAX_OFFERS:
            _offers.popitem(last=False)


def answer(token: str, group: str, slider: str, index: int) -> str | None:
    """The figure JSON the offer of (``token``, ``group``) draws at option ``index`` of
    ``slider``, or None (no such offer, slider or option)."""
    with _lock:
        draw = _offers.get((token, group))
    return None if draw is None else draw(slider, index)


async def _answer(request):
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, Response

    query = request.query_params
    token, group, slider = (query.get(k, "") for k in ("token", "group", "slider"))
    index = query.get("index", "")
    if not (token and group and slider and index.isdigit() and len(index) < 6):
        return JSONResponse({"error": "token, group, slider and a whole index are needed"},
                            status_code=400)
    # The runs may need XLA (a new value) and JSON writing: off the event loop, which serves
    # every session's websocket.
    spec = await run_in_threadpool(answer, token, group, slider, int(index))
    if spec is None:
        return JSONResponse({"error": "no such preview"}, status_code=404)
    return Response(spec, media_type="application/json",
                    headers={"Cache-Control": "no-store"})
