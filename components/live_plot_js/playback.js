// Playback, for a figure with layout.meta.playback: HTML controls under the chart (real buttons
// and a range input: Tab, Enter, Space and the arrow keys reach them, and no legend or panel
// title can lie over them). A clock drives the frames: the frame shown is the one due at this
// moment, so a slow machine skips frames instead of slowing down, and speed is frames per second.
// Each frame is one Plotly.animate (redraw false, "immediate": it interrupts the one before; the
// interrupted one's rejection is caught) moving the heads and, in trail mode, cutting each path
// at the frame's step from the whole path the figure carries.
function cut(values, step, stride) {
  if (!stride) return values.slice(0, step + 1);
  // A fan: one run per `stride` points, the last of each a NaN gap kept between runs.
  return Array.prototype.filter.call(values, (v, i) => i % stride <= step || i % stride === stride - 1);
}

function frameAt(pb, k) {
  const step = pb.meta.steps[k], frame = pb.frames[k];
  const traces = [...frame.traces], data = frame.data.map((d) => ({x: d.x, y: d.y}));
  for (const g of pb.meta.trail ? pb.meta.grown : []) {
    const whole = pb.whole[g.trace];
    traces.push(g.trace);
    data.push({x: cut(whole.x, step, g.stride), y: cut(whole.y, step, g.stride)});
  }
  for (const m of pb.meta.trail ? pb.meta.shown : []) {
    const whole = pb.whole[m.trace];
    traces.push(m.trace);
    data.push(step >= m.step ? whole : {x: [], y: []});
  }
  return {data, traces};
}

function playback(Plotly, gd, toolbar) {
  if (gd.__pb) return gd.__pb;
  const el = (tag, props) => Object.assign(document.createElement(tag), props);
  const play = el("button", {type: "button", className: "pb-play"});
  const replay = el("button", {type: "button", className: "pb-replay", textContent: "↺ Replay"});
  replay.setAttribute("aria-label", "Replay from step 0");
  const scrub = el("input", {type: "range", min: 0, step: 1, value: 0, className: "pb-scrub"});
  scrub.setAttribute("aria-label", "Step");
  const ticks = el("div", {className: "pb-ticks"});
  ticks.setAttribute("aria-hidden", "true");
  const track = el("div", {className: "pb-track"});
  track.append(scrub, ticks);
  const readout = el("output", {className: "pb-readout"});
  const slot = el("span", {className: "pb-export"});
  toolbar.append(play, replay, track, readout, slot);
  const pb = gd.__pb = {k: 0, playing: false, drawn: 0, busy: false, meta: null, frames: [],
                        whole: {}, slot};
  const ui = () => {
    const steps = pb.meta.steps, last = steps.length - 1;
    play.textContent = pb.playing ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-label", pb.playing ? "Pause" : "Play");
    scrub.max = last;
    scrub.value = pb.k;
    scrub.setAttribute("aria-valuetext", `step ${steps[pb.k]} of ${steps[last]}`);
    readout.textContent = `step ${steps[pb.k]}`;
    toolbar.dataset.step = steps[pb.k];
    toolbar.dataset.frameMs = pb.meta.frame_ms;
    toolbar.dataset.trail = pb.meta.trail;
  };
  pb.show = (k) => {
    pb.k = k;
    pb.drawn += 1;  // frames drawn: what the tests count
    ui();
    return Plotly.animate(gd, frameAt(pb, k), {frame: {duration: 0, redraw: false},
                          transition: {duration: 0}, mode: "immediate"}).catch(() => {});
  };
  const tick = () => {
    if (!pb.playing) return;
    const last = pb.meta.steps.length - 1;
    const due = Math.min(last, pb.k0 + Math.floor((performance.now() - pb.t0) / pb.meta.frame_ms));
    if (due !== pb.k && !pb.busy) pb.show(due);
    if (pb.k >= last) pb.setPlaying(false);
    else requestAnimationFrame(tick);
  };
  pb.setPlaying = (on) => {
    const start = on && !pb.playing;
    pb.playing = on;
    if (start) {
      if (pb.k >= pb.meta.steps.length - 1) pb.show(0);  // at the end, Play starts over
      pb.restartClock();
      requestAnimationFrame(tick);
    }
    ui();
  };
  pb.restartClock = () => { pb.k0 = pb.k; pb.t0 = performance.now(); };
  pb.ticks = (meta) => {
    const steps = meta.steps, last = steps[steps.length - 1] || 1;
    // Rebuilt only when they change: a slider move keeps them, and new nodes cost a style pass.
    const drawn = `${meta.ticks}/${last}`;
    if (drawn === pb.drawnTicks) return;
    pb.drawnTicks = drawn;
    ticks.replaceChildren(...meta.ticks.map((t) => {
      const label = el("span", {textContent: t});
      label.style.left = `calc(8px + ${t / last} * (100% - 16px))`;  // under the thumb's centre
      return label;
    }));
  };
  play.addEventListener("click", () => pb.setPlaying(!pb.playing));
  replay.addEventListener("click", () => { pb.show(0); pb.playing = false; pb.setPlaying(true); });
  scrub.addEventListener("input", () => {
    const k = Number(scrub.value);  // read first: pausing redraws the toolbar from pb.k
    pb.setPlaying(false);
    pb.show(k);
  });
  gd.addEventListener("keydown", (event) => {
    if (event.key !== " " || event.target !== gd || !pb.meta) return;
    event.preventDefault();
    pb.setPlaying(!pb.playing);
  });
  pb.ui = ui;
  return pb;
}

// After each Plotly.react: the new frames and settings, the whole paths to cut, and the frame
// the reader was at (kept, as is playing: a speed or trail change does not restart the race).
function updatePlayback(pb, gd, figure, toolbar) {
  const meta = ((figure.layout || {}).meta || {}).playback;
  toolbar.hidden = !meta;
  if (!meta) {
    pb.playing = false;
    pb.meta = null;
    gd.removeAttribute("tabindex");
    return;
  }
  gd.tabIndex = 0;  // focusable: Space on the chart plays or pauses
  gd.setAttribute("aria-label", "Animated chart: Space plays or pauses");
  pb.meta = meta;
  pb.frames = figure.frames;
  pb.whole = {};
  for (const {trace} of [...meta.grown, ...meta.shown]) {
    const t = gd._fullData[trace];
    pb.whole[trace] = {x: Array.from(t.x), y: Array.from(t.y)};
  }
  pb.k = Math.min(pb.k, meta.steps.length - 1);
  pb.ticks(meta);
  if (pb.playing) pb.restartClock();
  if (pb.k > 0 || meta.trail) pb.show(pb.k);
  else pb.ui();
}

