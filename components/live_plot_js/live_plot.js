// A click on empty plot area (Plotly reports clicks on points only) as data coordinates. A
// drag (a zoom box or a pan) also ends in a click event: only a press released within a few
// pixels of where it started counts. A double click is Plotly's "reset zoom": a click is
// reported only once Plotly's double-click window has passed without a second one.
function onPlotClick(gd, report) {
  let pressed = null, pending = null;
  gd.addEventListener("mousedown", (event) => { pressed = [event.clientX, event.clientY]; });
  return (event) => {
    if (!gd.__clickable || !event.target.classList.contains("nsewdrag") || !pressed) return;
    if (Math.hypot(event.clientX - pressed[0], event.clientY - pressed[1]) > 4) return;
    clearTimeout(pending);
    if (event.detail > 1) return;  // the second click of a double click
    const box = event.target.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const point = {x: xa.p2d(event.clientX - box.left), y: ya.p2d(event.clientY - box.top)};
    pending = setTimeout(() => report(point), gd._context.doubleClickDelay || 300);
  };
}

// The exporter (another script, optional): loaded once after plotly.js; a missing file is silent.
function loadExport(url) {
  if (!url) return Promise.resolve();
  if (!window.__descentLabExport) {
    window.__descentLabExport = new Promise((resolve) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = script.onerror = () => resolve();
      document.head.appendChild(script);
    });
  }
  return window.__descentLabExport;
}

// The exporter's buttons are asked for once per chart, and every array handed to the config is
// kept on the chart: Plotly.react compares configs by identity (a button's click function, a
// nested array), and a changed config re-plots from scratch, losing the zoom. Where Export is
// offered, plotly's own PNG button (toImage) goes: one way to save a picture, not two.
function withExportButtons(config, gd, hasToolbar) {
  const exporter = window.DescentLabExport;
  if (!exporter || !exporter.modeBarButtons) return config;
  gd.__exportButtons = gd.__exportButtons || exporter.modeBarButtons(gd) || [];
  if (config.displayModeBar === false) {
    if (hasToolbar) return config;  // the playback toolbar holds its Export button
    // A chart drawn without plotly's tools still gets a modebar: the Export button alone.
    gd.__exportOnly = gd.__exportOnly || [gd.__exportButtons];
    return {...config, displayModeBar: "hover", displaylogo: false, modeBarButtons: gd.__exportOnly};
  }
  return {...config,
          modeBarButtonsToRemove: [...(config.modeBarButtonsToRemove || []), "toImage"],
          modeBarButtonsToAdd: [...(config.modeBarButtonsToAdd || []), ...gd.__exportButtons]};
}

// A chart follows its box: a window resized (F11 on a projector) or a column made wider (the
// sidebar folded) refits it at once, not at its next update. A figure with its own height takes
// the new width only; one without (its box's CSS sets the height) is refitted by Plots.resize,
// which would also drop a figure's own height (plotly's config.responsive calls it, so it stays
// off). Neither changes the axis ranges: the reader's zoom stays.
function followBox(Plotly, gd) {
  if (gd.__resizeObserver || typeof ResizeObserver === "undefined") return;
  let queued = false;
  gd.__resizeObserver = new ResizeObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const drawn = gd._fullLayout, wide = gd.clientWidth;
      if (!drawn || !gd.isConnected || !wide) return;
      const widthChanged = Math.abs(wide - drawn.width) > 1;
      if ((gd.layout || {}).height) {
        if (widthChanged) Plotly.relayout(gd, {width: wide}).catch(() => {});
      } else if (widthChanged || Math.abs(gd.clientHeight - drawn.height) > 1) {
        Plotly.Plots.resize(gd).catch(() => {});
      }
    });
  });
  gd.__resizeObserver.observe(gd);
}

// A slider move changes a chart's numbers, rarely anything else. Plotly.react treats any new
// data array as a new plot and re-plots all of it (axes, legend, colour bar, every trace, with a
// forced layout of the page for each text it measures); Plotly.animate without redraw, as the
// playback's frames use it, only moves the traces. So a figure whose outline (everything but the
// traces' x, y and customdata) is the one drawn has its data moved, when that is all plotly
// would redraw: 2-D scatter traces on axes of fixed range (animate never autoranges; a reader's
// zoom also fixes them). A figure identical to the one drawn is not drawn again.
const MOVED = ["x", "y", "customdata"];

function outline(figure, config) {
  const trace = (t) => Object.fromEntries(Object.entries(t).map(([k, v]) =>
    [k, MOVED.includes(k) ? "(moved)" : v]));
  return JSON.stringify([figure.layout, config, figure.data.map(trace),
                         (figure.frames || []).map((f) => [f.name, f.traces])]);
}

function movable(gd, figure, drawn) {
  const full = gd._fullLayout;
  return drawn === gd.__outline && full && gd._fullData.length === figure.data.length &&
         gd._fullData.every((t) => t.type === "scatter") &&
         Object.keys(full).filter((k) => /^[xy]axis\d*$/.test(k))
           .every((k) => full[k].autorange === false);
}

function moveData(Plotly, gd, figure) {
  const data = figure.data.map((t) => Object.fromEntries(MOVED.filter((k) => k in t)
                                                              .map((k) => [k, t[k]])));
  return Plotly.animate(gd, {data, traces: data.map((_, i) => i)},
                        {frame: {duration: 0, redraw: false}, transition: {duration: 0},
                         mode: "immediate"})
    .then(() => figure.frames && Plotly.addFrames(gd, figure.frames));  // same names: replaced
}

// A path chart's animation comes as its heads (layout.meta.playback.heads, charts/
// path_animation.py): the head traces' indices and one array of where each sits at each frame
// (frames x heads x 2, a plotly typed array). Frame k moves head j to row k, column j; a head
// with no finite point is null. The array leaves the layout, so the outline stays the same.
function typedArray(spec) {
  if (Array.isArray(spec)) return spec.flat();
  const bytes = Uint8Array.from(atob(spec.bdata), (c) => c.charCodeAt(0));
  return new ({f8: Float64Array, f4: Float32Array}[spec.dtype])(bytes.buffer);
}

function withFrames(figure) {
  const meta = ((figure.layout || {}).meta || {}).playback;
  if (!meta || !meta.heads) return figure;
  const {traces, xy} = meta.heads, values = typedArray(xy), n = traces.length;
  delete meta.heads;
  const at = (i) => (Number.isFinite(values[i]) ? values[i] : null);
  figure.frames = meta.steps.map((step, k) => ({
    name: String(step), traces,
    data: traces.map((_, j) => ({x: [at(2 * (k * n + j))], y: [at(2 * (k * n + j) + 1)]})),
  }));
  return figure;
}

function update(Plotly, gd, figure, config) {
  const drawn = outline(figure, config.source);
  const moved = movable(gd, figure, drawn) ?
    moveData(Plotly, gd, figure).then(() => true, () => false) : Promise.resolve(false);
  return moved.then((done) => done || Plotly.react(gd, {
    data: figure.data, layout: figure.layout, frames: figure.frames || [], config: config.drawn,
  })).then(() => { gd.__outline = drawn; });
}

// One figure (its JSON text) into the chart: a rerun's, or a preview's (live_preview.py), which
// comes without a rerun and so with the config of the chart's last one. ``shown`` names what was
// drawn: a rerun bringing the same is not drawn again.
function drawFigure(gd, toolbar, data, specText, shown, report) {
  const version = (gd.__version || 0) + 1;
  gd.__version = version;
  return loadPlotly(data.plotly_url, data.plotly_gz_url).then((Plotly) =>
      loadExport(data.export_url).then(() => Plotly)).then((Plotly) => {
    if (gd.__version !== version) return;  // a newer figure arrived in the meantime
    const figure = withFrames(JSON.parse(specText));
    if (!gd.__clickHandler) {
      gd.__clickHandler = onPlotClick(gd, report);
      gd.addEventListener("click", gd.__clickHandler);
    }
    // The toolbar is built for the first figure that plays (never for the loss charts).
    const animated = Boolean(((figure.layout || {}).meta || {}).playback);
    const pb = animated || gd.__pb ? playback(Plotly, gd, toolbar) : null;
    if (pb && !pb.slot.childElementCount && window.DescentLabExport?.toolbarButtons) {
      pb.slot.append(...(window.DescentLabExport.toolbarButtons(gd) || []));
    }
    if (pb) pb.busy = true;  // no frame while the data are replaced
    const config = {source: data.config, drawn: withExportButtons(data.config, gd, Boolean(pb))};
    return update(Plotly, gd, figure, config).then(() => {
      gd.__shown = shown;
      gd.__drawnVersion = version;
      followBox(Plotly, gd);
      if (!pb) return;
      pb.busy = false;
      updatePlayback(pb, gd, figure, toolbar);
    });
  }).catch((error) => {
    gd.__shown = null;
    gd.textContent = "The chart could not be drawn: " + error.message;
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let gd = parentElement.querySelector(".live-plot");
  let toolbar = parentElement.querySelector(".pb-toolbar");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "live-plot";
    toolbar = document.createElement("div");
    toolbar.className = "pb-toolbar";
    toolbar.setAttribute("role", "group");
    toolbar.setAttribute("aria-label", "Playback");
    toolbar.hidden = true;
    parentElement.append(gd, toolbar);
  }
  gd.__clickable = Boolean(data.clickable);
  const report = (point) => setTriggerValue("click", point);
  // A preview's figure (live_slider.py asks the route, then hands the JSON here), drawn with
  // this run's config: a rerun that then brings the same figure has nothing left to draw.
  gd.__preview = (specText) => drawFigure(gd, toolbar, data, specText,
                                          JSON.stringify(data.config) + specText, report);
  // A rerun that sends the chart on screen (none pending) changes nothing.
  const shown = JSON.stringify(data.config) + data.spec;
  if (shown === gd.__shown && gd.__drawnVersion === gd.__version) return;
  const draw = () => drawFigure(gd, toolbar, data, data.spec, shown, report);
  // Secondary charts redraw after the next paint, so the main chart shows its update first.
  if (data.defer) requestAnimationFrame(() => setTimeout(draw, 0));
  else draw();
}
