/* Descent Lab: export a chart for slides (classic script, served from static/).
 *
 * window.DescentLabExport.modeBarButtons(gd) gives each chart one modebar button, "Export", which
 * opens a small menu; toolbarButtons(gd) gives the same menu as a keyboard-reachable <button>.
 *   PNG  1920x1080 (a 960x540 layout at scale 2: slide-sized text), white background, no controls
 *   SVG  the same layout as a vector file
 *   GIF, MP4 / WebM  (charts with animation frames) the animation rendered here: the chart without
 *        its animated traces is drawn once by plotly.js as the background; the animated traces
 *        (heads, growing trails) are drawn on a canvas per frame from gd's own frames. The GIF is
 *        encoded with gifenc; video with WebCodecs into MP4 (H.264) when the browser can, else
 *        WebM (VP9 / VP8), else a GIF (the browser has no VideoEncoder).
 *   CSV, JSON  every named trace's points (the paths, or the curves), in long form.
 * The encoders (vendor/, MIT, see their VERSION files) load on first use as ES modules.
 * The last export's summary is window.DescentLabExport.lastExport (format, frames, size, ms).
 */
(function () {
  "use strict";
  if (window.DescentLabExport) return;

  const HERE = new URL(".", document.currentScript ? document.currentScript.src : location.href).href;
  const VENDOR = {
    gifenc: "descent_export_vendor/gifenc.esm.js",
    mp4: "descent_export_vendor/mp4-muxer.esm.js",
    webm: "descent_export_vendor/webm-muxer.esm.js",
  };
  const SLIDE = {width: 960, height: 540, scale: 2};  // 1920x1080 pixels
  const GIF_SIZE = {width: 800, height: 600};
  const VIDEO_SIZE = {width: 1280, height: 720};
  const FRAME_MS = 40;       // plotly.js's default frame duration, when the chart names none
  const HOLD_LAST_MS = 1500; // the finished race stays on screen before a loop restarts
  const modules = {};
  let busy = false;

  function vendor(name) {
    modules[name] = modules[name] || import(HERE + VENDOR[name]);
    return modules[name];
  }

  // ---------------------------------------------------------------------------------------------
  // What a chart holds

  function chartName(gd) {
    if (gd.dataset && gd.dataset.exportName) return gd.dataset.exportName;
    const keyed = gd.closest && gd.closest('[class*="st-key-"]');
    const key = keyed && [...keyed.classList].find((c) => c.startsWith("st-key-"));
    const title = gd.layout && gd.layout.title;
    const text = key ? key.slice(7) : (title && (title.text || title)) || "chart";
    return String(text).toLowerCase().replace(/<[^>]*>/g, "").replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "").slice(0, 40) || "chart";
  }

  function fileName(gd, what) {
    return `descent-lab-${chartName(gd)}-${what}`;
  }

  function framesOf(gd) {
    const frames = gd._transitionData && gd._transitionData._frames;
    return Array.isArray(frames) ? frames.filter((f) => f && Array.isArray(f.data)) : [];
  }

  function frameTraces(frame) {
    return Array.isArray(frame.traces) ? frame.traces : frame.data.map((_, i) => i);
  }

  // The live chart's playback settings (components/live_plot.py): in trail mode the paths it
  // lists as "grown" are cut at each frame's step, and those "shown" appear from their step on;
  // the frames themselves move only the heads.
  function playback(gd) {
    const meta = (gd.layout && gd.layout.meta && gd.layout.meta.playback) || null;
    return meta && Array.isArray(meta.steps) ? meta : null;
  }

  function trailTraces(gd) {
    const meta = playback(gd);
    if (!meta || !meta.trail) return {grown: [], shown: []};
    return {grown: meta.grown || [], shown: meta.shown || []};
  }

  function animatedTraces(gd) {
    const set = new Set();
    for (const frame of framesOf(gd)) frameTraces(frame).forEach((i) => set.add(i));
    const {grown, shown} = trailTraces(gd);
    [...grown, ...shown].forEach((g) => set.add(g.trace));
    return [...set].sort((a, b) => a - b);
  }

  function cut(vals, step, stride) {
    if (!stride) return vals.slice(0, step + 1);
    // A fan: one run per `stride` points, the last of each a NaN gap kept between runs.
    return vals.filter((v, i) => i % stride <= step || i % stride === stride - 1);
  }

  // Only 2-D scatter traces are redrawn per frame; a chart animating anything else gets no GIF.
  function canAnimate(gd) {
    const animated = animatedTraces(gd);
    return animated.length > 0 && animated.every((i) => {
      const t = gd._fullData && gd._fullData.find((f) => f.index === i);
      return t && t.type === "scatter";
    });
  }

  // plotly.py's typed-array form ({dtype, bdata}) as a plain array.
  const DTYPES = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i2: Int16Array, i1: Int8Array,
                  u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};
  function values(v) {
    if (v == null) return [];
    if (Array.isArray(v)) return v;
    if (ArrayBuffer.isView(v)) return Array.from(v);
    if (typeof v === "object" && v.bdata && DTYPES[v.dtype]) {
      const bytes = Uint8Array.from(atob(v.bdata), (c) => c.charCodeAt(0));
      return Array.from(new DTYPES[v.dtype](bytes.buffer));
    }
    return [];
  }

  function merge(base, over) {
    const out = Object.assign({}, base);
    for (const [k, v] of Object.entries(over || {})) {
      const plain = v && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v) && !v.bdata;
      out[k] = plain && base[k] && typeof base[k] === "object" ? merge(base[k], v) : v;
    }
    return out;
  }

  // The animated traces after each frame, as plotly.js leaves them: a frame sets only the
  // traces it names, the others keep what the previous frames gave them.
  function frameStates(gd) {
    const animated = animatedTraces(gd);
    const meta = playback(gd), {grown, shown} = trailTraces(gd);
    // In trail mode the chart on screen holds each path cut at the current step; the live chart
    // keeps the whole ones (gd.__pb.whole, by trace index) to cut them again.
    const whole = (gd.__pb && gd.__pb.whole) || {};
    const full = (i) => {
      const t = gd._fullData.find((f) => f.index === i);
      return whole[i] ? Object.assign({}, t, {x: whole[i].x, y: whole[i].y}) : t;
    };
    let state = new Map(animated.map((i) => [i, full(i)]));
    return framesOf(gd).map((frame, k) => {
      state = new Map(state);
      frameTraces(frame).forEach((i, j) => state.set(i, merge(state.get(i), frame.data[j])));
      const step = meta && meta.steps[k] != null ? meta.steps[k] : Number(frame.name);
      for (const g of grown) {
        const t = full(g.trace);
        state.set(g.trace, Object.assign({}, t, {x: cut(values(t.x), step, g.stride),
                                                 y: cut(values(t.y), step, g.stride)}));
      }
      for (const m of shown) {
        const t = full(m.trace);
        state.set(m.trace, step >= m.step ? t : Object.assign({}, t, {x: [], y: []}));
      }
      return state;
    });
  }

  // An axis's own title; plotly.js fills an untitled one with an editing prompt, not a name.
  function axisTitle(gd, axis) {
    const a = gd._fullLayout && gd._fullLayout[axis];
    const title = a && a.title && (a.title.text != null ? a.title.text : a.title);
    const text = typeof title === "string" ? title.replace(/<[^>]*>/g, "").trim() : "";
    return text && !/^Click to enter/.test(text) ? text : null;
  }

  function chartTitle(gd) {
    const title = gd.layout && gd.layout.title;
    const text = title && (typeof title === "string" ? title : title.text);
    return typeof text === "string" && text.trim() ? text.replace(/<[^>]*>/g, "").trim() : null;
  }

  // Every named trace with points (paths, curves), animated ones as their last frame left them.
  function traceTable(gd) {
    const states = frameStates(gd);
    const last = states.length ? states[states.length - 1] : new Map();
    const rows = [];
    (gd._fullData || []).forEach((full) => {
      const src = gd.data[full.index] || {};
      const t = last.get(full.index) || full;
      const x = values(t.x), y = values(t.y);
      // Paths and curves: named traces drawn as lines (not landmarks, heads or surfaces).
      if (!src.name || full.visible === false || !String(full.mode || "").includes("lines")) return;
      if (x.length < 2 || !y.length) return;
      const steps = values(t.customdata);
      const z = values(t.z);
      rows.push({name: String(src.name), index: full.index,
                 x, y, z: z.length === x.length ? z : null,
                 step: steps.length === x.length && steps.every((s) => typeof s === "number") ? steps : null,
                 xaxis: (full.xaxis || "x").replace(/^x/, "xaxis"),
                 yaxis: (full.yaxis || "y").replace(/^y/, "yaxis")});
    });
    return rows;
  }

  function columns(gd, table) {
    const first = table[0] || {xaxis: "xaxis", yaxis: "yaxis"};
    const is3d = table.some((t) => t.z);
    const scene = gd._fullLayout && gd._fullLayout.scene;
    const sceneTitle = (a) => scene && scene[a] && scene[a].title && scene[a].title.text;
    const x = (is3d ? sceneTitle("xaxis") : axisTitle(gd, first.xaxis)) || "x";
    // A curve chart's y axis is often untitled: the chart's title names the value.
    const y = (is3d ? sceneTitle("yaxis") : axisTitle(gd, first.yaxis) || chartTitle(gd)) || "y";
    const names = {x, y: y === x ? y + " (y)" : y};
    if (is3d) names.z = sceneTitle("zaxis") || "z";
    return names;
  }

  function csvCell(v) {
    if (v == null || (typeof v === "number" && !isFinite(v))) return "";
    const s = String(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function toCsv(gd) {
    const table = traceTable(gd), names = columns(gd, table);
    const withStep = table.some((t) => t.step) && names.x !== "step";
    const header = ["series"].concat(withStep ? ["step"] : [], [names.x, names.y], names.z ? [names.z] : []);
    const lines = [header.map(csvCell).join(",")];
    for (const t of table) {
      t.x.forEach((xv, i) => {
        const row = [t.name].concat(withStep ? [t.step ? t.step[i] : ""] : [], [xv, t.y[i]],
                                     names.z ? [t.z ? t.z[i] : ""] : []);
        lines.push(row.map(csvCell).join(","));
      });
    }
    return lines.join("\n") + "\n";
  }

  function toJson(gd) {
    const table = traceTable(gd), names = columns(gd, table);
    const finite = (a) => a.map((v) => (typeof v === "number" && !isFinite(v) ? null : v));
    return JSON.stringify({
      chart: chartName(gd), columns: names,
      series: table.map((t) => Object.assign({name: t.name, x: finite(t.x), y: finite(t.y)},
                                             t.z ? {z: finite(t.z)} : {}, t.step ? {step: t.step} : {})),
    }, null, 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Still images

  // A picture made from SVG (plotly.js's toImage) cannot use the page's web fonts: text would be
  // measured in the app's font and drawn in a fallback, so legend entries run into each other.
  // Exports name fonts every system has, measured and drawn alike.
  const EXPORT_FONT = 'Arial, "Liberation Sans", "DejaVu Sans", Helvetica, sans-serif';
  function systemFonts(value) {
    if (Array.isArray(value)) return value.map(systemFonts);
    if (!value || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "family" ? EXPORT_FONT : systemFonts(v);
    return out;
  }

  // The chart as it would print: its own data and layout at a fixed size, without the playback
  // controls (a slide has no use for a Play button or a slider).
  function stillFigure(gd, size, hidden) {
    const layout = Object.assign(systemFonts(gd.layout), {width: size.width, height: size.height,
      paper_bgcolor: "white", plot_bgcolor: (gd.layout && gd.layout.plot_bgcolor) || "white"});
    const hadControls = (layout.sliders || []).length || (layout.updatemenus || []).length;
    layout.font = Object.assign({}, layout.font, {family: EXPORT_FONT});
    delete layout.sliders;
    delete layout.updatemenus;
    if (hadControls && layout.margin && layout.margin.b > 110) {
      layout.margin = Object.assign({}, layout.margin, {b: 110});  // the slider's room
    }
    const data = gd.data.map((t, i) => (hidden && hidden.has(i) ? Object.assign({}, t, {visible: false}) : t));
    return {data, layout, config: {staticPlot: true}};
  }

  function stillImage(gd, format) {
    const size = format === "svg" ? {width: SLIDE.width, height: SLIDE.height, scale: 1} : SLIDE;
    return window.Plotly.toImage(stillFigure(gd, size), Object.assign({format}, size));
  }

  function dataUrlBlob(url) {
    const [head, body] = url.split(",", 2);
    if (/;base64$/.test(head)) {
      return new Blob([Uint8Array.from(atob(body), (c) => c.charCodeAt(0))], {type: head.slice(5, -7)});
    }
    return new Blob([decodeURIComponent(body)], {type: head.slice(5).split(";")[0]});
  }

  // ---------------------------------------------------------------------------------------------
  // Animation frames on a canvas

  function dashPattern(dash, width) {
    const w = Math.max(width, 3);
    const named = {solid: [], dot: [w, w], dash: [3 * w, 3 * w], longdash: [5 * w, 5 * w],
                   dashdot: [3 * w, w, w, w], longdashdot: [5 * w, 2 * w, w, 2 * w]};
    if (!dash || named[dash]) return named[dash || "solid"];
    return String(dash).split(/[ ,]+/).map(parseFloat).filter((v) => v >= 0);  // "5px,10px"
  }

  function colorAt(c, i, fallback) {
    return Array.isArray(c) ? (c[i] != null ? c[i] : fallback) : (c || fallback);
  }

  function drawTrace(ctx, fullLayout, t) {
    const xa = fullLayout[(t.xaxis || "x").replace(/^x/, "xaxis")];
    const ya = fullLayout[(t.yaxis || "y").replace(/^y/, "yaxis")];
    if (!xa || !ya || t.visible === false || t.visible === "legendonly") return;
    const xs = values(t.x), ys = values(t.y);
    const px = (v) => xa._offset + xa.c2p(xa.d2c(v));
    const py = (v) => ya._offset + ya.c2p(ya.d2c(v));
    const mode = t.mode || "lines+markers";
    ctx.save();
    ctx.globalAlpha = t.opacity == null ? 1 : t.opacity;
    if (t.cliponaxis !== false) {
      ctx.beginPath();
      ctx.rect(xa._offset, ya._offset, xa._length, ya._length);
      ctx.clip();
    }
    const ok = (i) => xs[i] != null && ys[i] != null && isFinite(xs[i]) && isFinite(ys[i]);
    const line = t.line || {};
    if (mode.includes("lines") && line.width !== 0) {
      ctx.beginPath();
      let pen = false;
      xs.forEach((_, i) => {
        if (!ok(i)) { pen = false; return; }
        if (pen) ctx.lineTo(px(xs[i]), py(ys[i])); else ctx.moveTo(px(xs[i]), py(ys[i]));
        pen = true;
      });
      ctx.lineWidth = line.width == null ? 2 : line.width;
      ctx.strokeStyle = line.color || "#444";
      ctx.setLineDash(dashPattern(line.dash, ctx.lineWidth));
      ctx.lineJoin = ctx.lineCap = "round";
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const marker = t.marker || {};
    if (mode.includes("markers")) {
      const outline = marker.line || {};
      xs.forEach((_, i) => {
        if (!ok(i)) return;
        const size = Array.isArray(marker.size) ? marker.size[i] : (marker.size == null ? 6 : marker.size);
        ctx.beginPath();
        ctx.arc(px(xs[i]), py(ys[i]), size / 2, 0, 2 * Math.PI);
        ctx.globalAlpha = (t.opacity == null ? 1 : t.opacity) * (marker.opacity == null ? 1 : marker.opacity);
        ctx.fillStyle = colorAt(marker.color, i, line.color || "#444");
        ctx.fill();
        const w = Array.isArray(outline.width) ? outline.width[i] : outline.width;
        if (w) {
          ctx.lineWidth = w;
          ctx.strokeStyle = colorAt(outline.color, i, "#444");
          ctx.stroke();
        }
      });
    }
    ctx.restore();
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error("the chart's background could not be drawn"));
      img.src = url;
    });
  }

  function frameDelayMs(gd) {
    const meta = playback(gd);
    if (meta && meta.frame_ms > 0) return meta.frame_ms;
    for (const menu of (gd.layout && gd.layout.updatemenus) || []) {
      for (const button of menu.buttons || []) {
        const options = button.args && button.args[1];
        const duration = options && options.frame && options.frame.duration;
        if (button.args && button.args[0] === null && duration > 0) return duration;
      }
    }
    return FRAME_MS;
  }

  // A canvas that shows frame f on draw(f): the chart without its animated traces, drawn once
  // by plotly.js at the export size (whose axes place the points), under the animated traces
  // as frame f leaves them. close() when done.
  async function frameRenderer(gd, size) {
    const hidden = new Set(animatedTraces(gd));
    const holder = document.createElement("div");
    holder.style.cssText = `position:fixed;left:-${size.width + 100}px;top:0;` +
      `width:${size.width}px;height:${size.height}px;visibility:hidden;pointer-events:none`;
    document.body.appendChild(holder);
    const close = () => { window.Plotly.purge(holder); holder.remove(); };
    try {
      const figure = stillFigure(gd, size, hidden);
      await window.Plotly.newPlot(holder, figure.data, figure.layout, figure.config);
      const background = await createImageBitmap(await loadImage(await window.Plotly.toImage(
        holder, Object.assign({format: "png", scale: 1}, size))));
      const canvas = document.createElement("canvas");
      canvas.width = size.width;
      canvas.height = size.height;
      const ctx = canvas.getContext("2d", {willReadFrequently: true});
      const states = frameStates(gd);
      const draw = (f) => {
        ctx.drawImage(background, 0, 0, size.width, size.height);
        for (const i of hidden) drawTrace(ctx, holder._fullLayout, states[f].get(i));
        return canvas;
      };
      const pixels = (f) => new Uint32Array(draw(f) && ctx.getImageData(0, 0, size.width, size.height).data.buffer);
      const traceColors = () => {
        const seen = new Set();
        for (const state of states) {
          for (const i of hidden) {
            const t = state.get(i) || {}, m = t.marker || {};
            [t.line && t.line.color, m.color, m.line && m.line.color].flat()
              .filter((c) => typeof c === "string").forEach((c) => seen.add(c));
          }
        }
        return [...seen].slice(0, 48).map((c) => {
          ctx.clearRect(0, 0, 1, 1);
          ctx.fillStyle = c;
          ctx.fillRect(0, 0, 1, 1);
          return Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3));
        });
      };
      return {canvas, count: states.length, draw, pixels, traceColors, close};
    } catch (error) {
      close();
      throw error;
    }
  }

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  // GIF: one palette for all frames (255 colours from the last frame, where every path and head
  // is; index 255 is "unchanged"). Frame 0 is written whole; each later frame only as the
  // rectangle around the pixels that changed since the frame before, unchanged ones transparent
  // over it (disposal 1: keep). gifenc always places an image at (0, 0): its image descriptor,
  // right after the 8-byte graphic control extension, is moved to the rectangle afterwards.
  function changedBox(now, previous, width) {
    let x0 = width, y0 = -1, x1 = -1, y1 = -1;
    for (let p = 0; p < now.length; p++) {
      if (now[p] === previous[p]) continue;
      const y = (p / width) | 0, x = p - y * width;
      if (y0 < 0) y0 = y;
      y1 = y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
    return y0 < 0 ? {x: 0, y: 0, w: 1, h: 1} : {x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1};
  }

  function placeLastImage(gif, start, box) {
    const bytes = gif.bytesView();
    if (bytes[start + 8] !== 0x2c) throw new Error("unexpected GIF layout from the encoder");
    bytes.set([box.x & 255, box.x >> 8, box.y & 255, box.y >> 8], start + 9);
  }

  async function encodeGif(gd, progress) {
    const {GIFEncoder, quantize, applyPalette, nearestColorIndex} = await vendor("gifenc");
    // Browsers show a GIF delay under 20 ms as 100 ms: at 4x speed the GIF would crawl.
    const size = GIF_SIZE, delay = Math.max(20, frameDelayMs(gd)), KEEP = 255, width = size.width;
    const t0 = performance.now();
    const renderer = await frameRenderer(gd, size);
    const timings = {background: performance.now() - t0, frames: 0, encode: 0};
    try {
      const n = renderer.count;
      // The heads' and paths' own colours are kept exactly: in the last frame the heads may all
      // sit on one point, too few pixels for the quantizer to keep their colours.
      const exact = renderer.traceColors();
      const palette = quantize(new Uint8ClampedArray(renderer.pixels(n - 1).buffer), KEEP - exact.length)
        .concat(exact);
      const table = palette.concat(Array.from({length: 256 - palette.length}, () => [0, 0, 0]));
      const lookup = new Map();
      const indexOf = (rgba) => {
        let k = lookup.get(rgba);
        if (k === undefined) {
          k = nearestColorIndex(palette, [rgba & 255, (rgba >>> 8) & 255, (rgba >>> 16) & 255]);
          lookup.set(rgba, k);
        }
        return k;
      };
      const gif = GIFEncoder();
      let previous = null;
      for (let f = 0; f < n; f++) {
        let t = performance.now();
        const now = renderer.pixels(f);
        timings.frames += performance.now() - t;
        t = performance.now();
        const frameDelay = f === n - 1 ? HOLD_LAST_MS : delay;
        if (!previous) {
          const index = applyPalette(new Uint8ClampedArray(now.buffer), palette);
          gif.writeFrame(index, width, size.height, {palette: table, delay: frameDelay, dispose: 1});
        } else {
          const box = changedBox(now, previous, width);
          const index = new Uint8Array(box.w * box.h);
          for (let r = 0; r < box.h; r++) {
            const row = (box.y + r) * width + box.x;
            for (let c = 0; c < box.w; c++) {
              const p = row + c;
              index[r * box.w + c] = now[p] === previous[p] ? KEEP : indexOf(now[p]);
            }
          }
          const start = gif.bytesView().length;
          gif.writeFrame(index, box.w, box.h, {delay: frameDelay, dispose: 1, transparent: true,
                                               transparentIndex: KEEP});
          placeLastImage(gif, start, box);
        }
        timings.encode += performance.now() - t;
        previous = now;
        progress((f + 1) / n);
        if (f % 4 === 3) await nextTask();  // the page stays usable while the GIF is written
      }
      gif.finish();
      return {blob: new Blob([gif.bytes()], {type: "image/gif"}), ext: "gif", format: "gif", frames: n,
              timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))};
    } finally {
      renderer.close();
    }
  }

  // The first codec this browser's WebCodecs can encode, MP4 (H.264) before WebM (VP9, VP8).
  async function videoCodec(size) {
    if (typeof window.VideoEncoder === "undefined" || typeof window.VideoFrame === "undefined") return null;
    const choices = [
      {codec: "avc1.42001f", container: "mp4", muxerCodec: "avc"},
      {codec: "vp09.00.10.08", container: "webm", muxerCodec: "V_VP9"},
      {codec: "vp8", container: "webm", muxerCodec: "V_VP8"},
    ];
    for (const choice of choices) {
      const config = {codec: choice.codec, width: size.width, height: size.height,
                      bitrate: 4_000_000, framerate: 25};
      if (choice.container === "mp4") config.avc = {format: "avc"};
      try {
        const support = await VideoEncoder.isConfigSupported(config);
        if (support.supported) return Object.assign({config}, choice);
      } catch (error) { /* an unknown codec string: try the next one */ }
    }
    return null;
  }

  async function encodeVideo(gd, progress) {
    const size = VIDEO_SIZE;
    const choice = await videoCodec(size);
    if (!choice) {
      const gif = await encodeGif(gd, progress);
      return Object.assign(gif, {fallback: "this browser has no video encoder (WebCodecs): saved a GIF"});
    }
    const lib = await vendor(choice.container === "mp4" ? "mp4" : "webm");
    const target = new lib.ArrayBufferTarget();
    const muxer = choice.container === "mp4"
      ? new lib.Muxer({target, video: {codec: "avc", width: size.width, height: size.height},
                       fastStart: "in-memory"})
      : new lib.Muxer({target, video: {codec: choice.muxerCodec, width: size.width, height: size.height,
                                       frameRate: 25}});
    let failure = null;
    const encoder = new VideoEncoder({
      output: (chunk, meta) => muxer.addVideoChunk(chunk, meta),
      error: (error) => { failure = error; },
    });
    encoder.configure(choice.config);
    const delayUs = frameDelayMs(gd) * 1000;
    const renderer = await frameRenderer(gd, size);
    const frames = renderer.count;
    try {
      for (let f = 0; f < frames; f++) {
        const duration = f === frames - 1 ? HOLD_LAST_MS * 1000 : delayUs;
        const frame = new VideoFrame(renderer.draw(f), {timestamp: f * delayUs, duration});
        encoder.encode(frame, {keyFrame: f % 50 === 0});
        frame.close();
        progress(0.95 * (f + 1) / frames);
        while (encoder.encodeQueueSize > 4 && !failure) await nextTask();
        if (failure) throw failure;
        await nextTask();
      }
    } finally {
      renderer.close();
    }
    await encoder.flush();
    encoder.close();
    if (failure) throw failure;
    muxer.finalize();
    const type = choice.container === "mp4" ? "video/mp4" : "video/webm";
    return {blob: new Blob([target.buffer], {type}), ext: choice.container, format: choice.container,
            codec: choice.codec, frames};
  }

  // ---------------------------------------------------------------------------------------------
  // Downloads, progress, menu

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  function overlay() {
    let box = document.getElementById("descent-export-status");
    if (!box) {
      box = document.createElement("div");
      box.id = "descent-export-status";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      box.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:100000;padding:8px 14px;" +
        "border-radius:6px;background:#1f2937;color:white;font:14px system-ui,sans-serif;" +
        "box-shadow:0 2px 8px rgba(0,0,0,.3);max-width:360px";
      document.body.appendChild(box);
    }
    return box;
  }

  function say(text, linger) {
    const box = overlay();
    box.textContent = text;  // never markup
    box.hidden = false;
    clearTimeout(box.__hide);
    if (linger) box.__hide = setTimeout(() => { box.hidden = true; }, linger);
  }

  const KINDS = {
    png: {what: "slide", label: "PNG image (1920×1080)", run: async (gd) => ({
      blob: dataUrlBlob(await stillImage(gd, "png")), ext: "png", format: "png"})},
    svg: {what: "slide", label: "SVG image (vector)", run: async (gd) => ({
      blob: dataUrlBlob(await stillImage(gd, "svg")), ext: "svg", format: "svg"})},
    gif: {what: "animation", label: "GIF animation (800×600)", animated: true, run: encodeGif},
    video: {what: "animation", label: "Video, MP4 or WebM (1280×720)", animated: true, run: encodeVideo},
    csv: {what: "data", label: "Data as CSV (every point)", run: async (gd) => ({
      blob: new Blob([toCsv(gd)], {type: "text/csv"}), ext: "csv", format: "csv"})},
    json: {what: "data", label: "Data as JSON", run: async (gd) => ({
      blob: new Blob([toJson(gd)], {type: "application/json"}), ext: "json", format: "json"})},
  };

  function kindsFor(gd) {
    const animate = canAnimate(gd);
    return Object.keys(KINDS).filter((k) => !KINDS[k].animated || animate);
  }

  async function exportChart(gd, kind) {
    const spec = KINDS[kind];
    if (!spec) throw new Error("unknown export " + kind);
    if (busy) { say("An export is still running: one at a time.", 3000); return null; }
    busy = true;
    const started = performance.now();
    const label = spec.label.split(" (")[0];
    try {
      say(`Preparing ${label}…`);
      const result = await spec.run(gd, (share) => say(`Encoding ${label}… ${Math.round(100 * share)}%`));
      const name = `${fileName(gd, spec.what)}.${result.ext}`;
      download(result.blob, name);
      const summary = {kind, format: result.format, codec: result.codec || null, frames: result.frames || null,
                       bytes: result.blob.size, ms: Math.round(performance.now() - started),
                       fallback: result.fallback || null, timings: result.timings || null, name};
      window.DescentLabExport.lastExport = summary;
      say(result.fallback ? `Saved ${name}: ${result.fallback}.` : `Saved ${name}.`, 4000);
      return summary;
    } catch (error) {
      say(`The export failed: ${(error && error.message) || error}`, 8000);
      window.DescentLabExport.lastExport = {kind, error: String((error && error.message) || error)};
      return null;
    } finally {
      busy = false;
    }
  }

  function closeMenus() {
    document.querySelectorAll(".descent-export-menu").forEach((m) => m.remove());
  }

  function openMenu(gd, anchor) {
    closeMenus();
    const menu = document.createElement("div");
    menu.className = "descent-export-menu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", "Export this chart");
    menu.style.cssText = "position:fixed;z-index:100000;background:white;border:1px solid #d1d5db;" +
      "border-radius:6px;box-shadow:0 4px 12px rgba(0,0,0,.15);padding:4px;display:flex;" +
      "flex-direction:column;font:14px system-ui,sans-serif";
    for (const kind of kindsFor(gd)) {
      const item = document.createElement("button");
      item.type = "button";
      item.setAttribute("role", "menuitem");
      item.dataset.export = kind;
      item.textContent = KINDS[kind].label;
      item.style.cssText = "text-align:left;border:0;background:none;padding:6px 12px;cursor:pointer;" +
        "border-radius:4px;color:#1f2937;font:inherit";
      item.addEventListener("mouseenter", () => { item.style.background = "#f3f4f6"; });
      item.addEventListener("mouseleave", () => { item.style.background = "none"; });
      item.addEventListener("click", () => { closeMenus(); exportChart(gd, kind); });
      menu.appendChild(item);
    }
    menu.addEventListener("keydown", (event) => {
      const items = [...menu.querySelectorAll("button")];
      const at = items.indexOf(document.activeElement);
      if (event.key === "Escape") { closeMenus(); if (anchor && anchor.focus) anchor.focus(); }
      else if (event.key === "ArrowDown") { items[(at + 1) % items.length].focus(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { items[(at - 1 + items.length) % items.length].focus(); event.preventDefault(); }
    });
    document.body.appendChild(menu);
    const box = (anchor || gd).getBoundingClientRect();
    const width = menu.offsetWidth, height = menu.offsetHeight;
    menu.style.left = Math.max(4, Math.min(box.right - width, innerWidth - width - 4)) + "px";
    menu.style.top = (box.bottom + height + 4 < innerHeight ? box.bottom + 4 : Math.max(4, box.top - height - 4)) + "px";
    menu.querySelector("button").focus();
    setTimeout(() => document.addEventListener("pointerdown", function away(event) {
      if (!menu.contains(event.target)) { closeMenus(); document.removeEventListener("pointerdown", away); }
    }), 0);
    return menu;
  }

  // An arrow into a tray, in SVG's y-down coordinates (plotly.js's modebar takes {width, height, path}).
  const ICON = {width: 1000, height: 1000,
                path: "M450 100h100v430l150-150 70 70-270 270-270-270 70-70 150 150zM100 750h100v100h600v-100h100v200h-800z"};

  function modeBarButtons(gd) {
    return [{name: "descentExport", title: "Export: PNG, SVG, animation, CSV, JSON", icon: ICON,
             click: (graph, event) => {
               const target = event && event.currentTarget;
               openMenu(graph || gd, target instanceof Element ? target : graph.querySelector(".modebar"));
             }}];
  }

  function toolbarButtons(gd) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "descent-export-button";
    button.textContent = "Export…";
    button.setAttribute("aria-haspopup", "menu");
    button.title = "Export this chart: PNG, SVG, GIF, video, CSV, JSON";
    button.addEventListener("click", () => openMenu(gd, button));
    return [button];
  }

  window.DescentLabExport = {modeBarButtons, toolbarButtons, exportChart, kinds: kindsFor,
                             toCsv, toJson, lastExport: null};
})();
