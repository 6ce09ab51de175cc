// The live view: line charts (uPlot) and weight pictures (canvas) that stay mounted
// and keep their data in the browser. Each payload brings only what changed: new points
// from an index on (``from``), and now and then a whole weight snapshot. A keyframe
// (``key: true``) brings everything and replaces what the browser held; a delta that
// does not join on to what is held (a frame the browser never saw) is set aside until
// the next keyframe, which the server sends at least every second or so.
// Every colour comes in the payload (playground/common/figures.py); the greys here only
// frame and label. Nothing here computes anything about the network.

function bytes(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

// A byte b in 0..255 stands for the value (b - 127.5) / 127.5 * limit.
function signedColours(palette) {
  const white = rgb(palette.zero), pos = rgb(palette.positive), neg = rgb(palette.negative);
  const table = new Uint8ClampedArray(256 * 4);
  for (let b = 0; b < 256; b++) {
    const v = (b - 127.5) / 127.5;
    const c = mix(white, v >= 0 ? pos : neg, Math.min(1, Math.abs(v)));
    table.set([c[0], c[1], c[2], 255], 4 * b);
  }
  return table;
}

// The view's own words (Python sends them in the tab's language with each keyframe's
// layout); "{name}" placeholders are filled from the values given.
const WORDS = {
  freeze: "Freeze the weights",
  changes: "{label}, {count} changes",
  tile: "hidden unit {unit}\nweights {low} to {high}",
  matrix: "{from_label} unit {row} → {to_label} {to}\nweight ≈ {weight}\nthis matrix: {low} to {high}",
};

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function number(v, digits = 3) {
  if (v === null || v === undefined || !isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1).replace("e", "e");
  return String(Number(v.toPrecision(digits)));
}

// A log axis: ticks at powers of ten only (with 2 and 5 between them when the axis
// spans less than two decades), read as plain numbers from 0.001 to 1000 and as 1e-5
// beyond, so that no label repeats and none needs an SI prefix.
function logSplits(u, axisIdx, min, max) {
  // No positive data yet: no ticks (log10 of 0 is -Infinity, and a loop from there
  // would never end).
  if (!(min > 0 && isFinite(max) && max >= min)) return [];
  const lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
  const out = [];
  const fine = hi - lo <= 2;
  for (let e = lo; e <= hi; e++) {
    for (const m of fine ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  }
  return out;
}

function logLabel(v) {
  if (!(v > 0 && isFinite(v))) return "";
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - 10 ** e) > 1e-9 * 10 ** e) return number(v, 1);
  if (e >= -3 && e <= 3) return String(Number((10 ** e).toPrecision(1)));
  return `1e${e}`;
}

// ----------------------------------------------------------------------------- lines

function markPlugin(state, chart) {
  // Learning-rate changes: a dashed line each, labelled unless the label would run into
  // the previous one; close changes share one label ("lr 0.002, 3 changes").
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        const { top, height, left, width } = u.bbox;
        const ratio = uPlot.pxRatio;
        ctx.save();
        if (chart.spec.now && state.now !== null && state.running) {
          const x = Math.round(u.valToPos(state.now, "x", true));
          if (x >= left && x <= left + width) {
            ctx.strokeStyle = state.palette.muted;
            ctx.globalAlpha = 0.5;
            ctx.lineWidth = ratio;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.globalAlpha = 1;
          }
        }
        const marks = chart.spec.marks ? state.marks : [];
        ctx.font = `${10 * ratio}px ${state.font || "sans-serif"}`;
        ctx.textBaseline = "top";
        ctx.fillStyle = state.palette.muted;
        ctx.strokeStyle = state.palette.muted;
        ctx.lineWidth = ratio;
        const groups = [];
        for (const [x, label] of marks) {
          const px = u.valToPos(x, "x", true);
          if (px < left - 1 || px > left + width + 1) continue;
          ctx.setLineDash([4 * ratio, 3 * ratio]);
          ctx.beginPath();
          ctx.moveTo(px, top);
          ctx.lineTo(px, top + height);
          ctx.stroke();
          const last = groups[groups.length - 1];
          if (last && px - last.px < last.width + 6 * ratio) {
            last.count += 1;
            last.label = label;
          } else {
            groups.push({ px, label, count: 1, width: ctx.measureText(label).width });
          }
          const g = groups[groups.length - 1];
          g.width = ctx.measureText(g.count > 1 ? fill(state.words.changes, { label: g.label, count: g.count }) : g.label).width;
        }
        ctx.setLineDash([]);
        chart.labels = [];
        for (const g of groups) {
          const text = g.count > 1 ? fill(state.words.changes, { label: g.label, count: g.count }) : g.label;
          const x = Math.min(g.px + 3 * ratio, left + width - g.width - 2 * ratio);
          ctx.fillText(text, x, top + 2 * ratio);
          chart.labels.push({ x: x / ratio, width: g.width / ratio, text });
        }
        ctx.restore();
      }],
    },
  };
}

function lineOptions(state, chart, width) {
  const spec = chart.spec;
  const fmtY = spec.percent ? (v) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`) : (v) => number(v, 4);
  const series = [{ label: spec.x_label, value: (u, v) => (v === null ? "—" : number(v, 4)) }];
  for (const s of spec.series) {
    series.push({
      label: s.name,
      stroke: s.colour,
      width: 2,
      dash: s.dash ? [5, 3] : undefined,
      points: { show: (u) => u.data[0].length < 40, size: 4, fill: s.colour },
      spanGaps: true,
      value: (u, v) => fmtY(v),
    });
  }
  // A log axis with no positive data yet (a run's first moments) gets a decade range
  // of its own: uPlot's would be infinite, and its labels read "Infinity".
  const yScale = spec.log
    ? { distr: 3, log: 10,
        range: (u, min, max) => (min > 0 && isFinite(max) && max >= min
          ? uPlot.rangeLog(min, max, 10, true) : [0.001, 1]) }
    : { range: (u, min, max) => [spec.y_min ?? 0, spec.y_max ?? (max > 0 ? max * 1.05 : 1)] };
  const yAxis = {
    size: 52,
    values: spec.log ? (u, splits) => splits.map(logLabel)
      : (u, splits) => splits.map((v) => (spec.percent ? `${Math.round(v * 100)}%` : number(v, 3))),
  };
  if (spec.log) yAxis.splits = logSplits;
  return {
    width,
    height: spec.height,
    title: spec.title,
    scales: { x: { time: false, range: () => state.xRange }, y: yScale },
    series,
    axes: [{ label: spec.x_label, labelSize: 18, size: 36 }, yAxis],
    legend: { live: true },
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    plugins: [markPlugin(state, chart)],
  };
}

function chartWidth(state, chart) {
  const box = chart.box.clientWidth || state.root.clientWidth || 600;
  return Math.max(200, Math.floor(box));
}

function makeChart(state, spec) {
  const box = document.createElement("div");
  box.className = "lc-chart";
  box.dataset.chart = spec.id;
  const chart = { spec, box, x: [], ys: spec.series.map(() => []), plot: null, labels: [] };
  state.sections[spec.section].appendChild(box);
  chart.plot = new uPlot(lineOptions(state, chart, chartWidth(state, chart)),
                         [chart.x, ...chart.ys], box);
  return chart;
}

// ----------------------------------------------------------------------------- weights

function drawTiles(state, image, box) {
  // The first layer's units as image tiles in a grid, one empty pixel between them.
  const { h, w, n, cols, rows } = image;
  const values = bytes(image.data);
  const mw = cols * (w + 1) - 1, mh = rows * (h + 1) - 1;
  const entry = imageEntry(state, image, box, tileHover, false);
  paintImage(state, entry, mw, mh, (pixels, table) => {
    for (let j = 0; j < n; j++) {
      const top = Math.floor(j / cols) * (h + 1), left = (j % cols) * (w + 1);
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const k = 4 * ((top + r) * mw + left + c);
          const b = values[j * h * w + r * w + c];
          pixels.set(table.subarray(4 * b, 4 * b + 4), k);
        }
      }
    }
  });
  const width = Math.min(box.clientWidth || 400, 520);
  const scale = width / mw;
  showScaled(entry, width, Math.round(mh * scale));
  entry.geometry = { scale, mw, mh };
}

function imageEntry(state, image, box, hover, withNames) {
  // One weight image's title, canvas (and, for a matrix, its column names), made on first
  // sight and kept by id, so a redraw repaints pixels without rebuilding the DOM.
  let entry = state.images[image.id];
  if (!entry) {
    entry = state.images[image.id] = { canvas: document.createElement("canvas"), off: document.createElement("canvas") };
    entry.title = document.createElement("div");
    entry.title.className = "lc-image-title";
    box.appendChild(entry.title);
    box.appendChild(entry.canvas);
    if (withNames) {
      entry.names = document.createElement("div");
      entry.names.className = "lc-names";
      box.appendChild(entry.names);
    }
    entry.canvas.setAttribute("role", "img");
    entry.canvas.addEventListener("mousemove", (e) => state.tip(hover(entry, e), e));
    entry.canvas.addEventListener("mouseleave", () => state.tip(null));
  }
  entry.image = image;
  entry.words = state.words;
  entry.title.textContent = image.title;
  entry.canvas.setAttribute("aria-label", image.title);
  return entry;
}

function paintImage(state, entry, width, height, fill) {
  // Paints the image at one pixel per value on the entry's off-screen canvas:
  // fill(pixels, colours) writes RGBA bytes from the colour table.
  const off = entry.off;
  off.width = width;
  off.height = height;
  const octx = off.getContext("2d");
  const img = octx.createImageData(width, height);
  fill(img.data, state.colours);
  octx.putImageData(img, 0, 0);
}

function showScaled(entry, width, height) {
  // The off-screen image enlarged onto the visible canvas, sharp pixels, at the screen's ratio.
  const ratio = window.devicePixelRatio || 1;
  entry.canvas.width = Math.round(width * ratio);
  entry.canvas.height = Math.round(height * ratio);
  entry.canvas.style.width = `${width}px`;
  entry.canvas.style.height = `${height}px`;
  const ctx = entry.canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(entry.off, 0, 0, entry.canvas.width, entry.canvas.height);
}

function tileHover(entry, event) {
  const g = entry.geometry, image = entry.image;
  if (!g) return null;
  const rect = entry.canvas.getBoundingClientRect();
  const px = (event.clientX - rect.left) / g.scale, py = (event.clientY - rect.top) / g.scale;
  const col = Math.floor(px / (image.w + 1)), row = Math.floor(py / (image.h + 1));
  if (px - col * (image.w + 1) >= image.w || py - row * (image.h + 1) >= image.h) return null;
  const j = row * image.cols + col;
  if (col >= image.cols || j >= image.n) return null;
  return fill(entry.words.tile, { unit: j + 1, low: number(image.lo[j]), high: number(image.hi[j]) });
}

function drawMatrix(state, image, box) {
  // A deeper weight matrix: rows are the units it comes from, columns those it goes to.
  const { n_in: nIn, n_out: nOut } = image;
  const values = bytes(image.data);
  const entry = imageEntry(state, image, box, matrixHover, true);
  paintImage(state, entry, nOut, nIn, (pixels, table) => {
    for (let i = 0; i < nIn * nOut; i++) pixels.set(table.subarray(4 * values[i], 4 * values[i] + 4), 4 * i);
  });
  const width = Math.max(60, Math.min(box.clientWidth || 200, 260));
  const height = Math.max(80, Math.min(220, nIn * 4));
  showScaled(entry, width, height);
  entry.geometry = { width, height };
  const names = image.to_names;
  const key = names ? `${names.join("|")}|${width}` : `${nOut}|${width}`;
  if (entry.namesKey !== key) {
    entry.namesKey = key;
    entry.names.style.width = `${width}px`;
    entry.names.textContent = "";
    if (names && width / nOut >= 10) {
      for (const name of names) {
        const span = document.createElement("span");
        span.textContent = name;
        entry.names.appendChild(span);
      }
    }
  }
}

function matrixHover(entry, event) {
  const g = entry.geometry, image = entry.image;
  if (!g) return null;
  const rect = entry.canvas.getBoundingClientRect();
  const c = Math.floor(((event.clientX - rect.left) / g.width) * image.n_out);
  const r = Math.floor(((event.clientY - rect.top) / g.height) * image.n_in);
  if (c < 0 || r < 0 || c >= image.n_out || r >= image.n_in) return null;
  const b = bytes(image.data)[r * image.n_out + c];
  const to = image.to_names ? image.to_names[c] : String(c + 1);
  return fill(entry.words.matrix, {
    from_label: image.from_label, row: r + 1, to_label: image.to_label, to,
    weight: number(((b - 127.5) / 127.5) * image.limit, 2),
    low: number(-image.limit, 2), high: number(image.limit, 2),
  });
}

function drawWeights(state) {
  const images = state.latestImages;
  if (!images) return;
  for (const image of images) {
    const box = image.kind === "tiles" ? state.tilesBox : state.matricesBox;
    let cell = box.querySelector(`[data-image="${image.id}"]`);
    if (!cell) {
      cell = document.createElement("div");
      cell.className = "lc-image";
      cell.dataset.image = image.id;
      box.appendChild(cell);
    }
    if (image.kind === "tiles") drawTiles(state, image, cell);
    else drawMatrix(state, image, cell);
  }
  state.weightFrames += 1;
  state.weights.dataset.frames = String(state.weightFrames);
}

// ----------------------------------------------------------------------------- component

function build(parent) {
  const root = panelRoot(parent, "lc-root", `
    <div class="lc-section" data-section="curves"><div class="lc-grid"></div><div class="lc-caption"></div></div>
    <div class="lc-section" data-section="health" hidden><div class="lc-grid"></div><div class="lc-caption"></div></div>
    <div class="lc-weights" data-live="weights" data-frames="0" hidden>
      <div class="lc-weights-head"><label class="lc-freeze"><input type="checkbox"> <span class="lc-freeze-text">Freeze the weights</span></label>
        <span class="lc-scale"><span class="lc-lo"></span><i></i><span class="lc-hi"></span></span></div>
      <div class="lc-weights-body"><div class="lc-tiles"></div><div class="lc-matrices"></div></div>
      <div class="lc-caption"></div>
    </div>
    <div class="lc-tip" hidden></div>`);
  root.dataset.live = "curves";
  root.dataset.frames = "0";
  const q = (s) => root.querySelector(s);
  const state = {
    root,
    stream: null,
    seq: -1,
    broken: false,
    charts: {},
    sections: { curves: q('[data-section="curves"] .lc-grid'), health: q('[data-section="health"] .lc-grid') },
    captions: { curves: q('[data-section="curves"] .lc-caption'), health: q('[data-section="health"] .lc-caption') },
    weights: q(".lc-weights"),
    tilesBox: q(".lc-tiles"),
    matricesBox: q(".lc-matrices"),
    images: {},
    frames: 0,
    weightFrames: 0,
    frozen: false,
    xRange: [0.5, 1.5],
    now: null,
    marks: [],
    running: false,
    words: { ...WORDS },
    font: null,
  };
  state.tip = tipShower(q(".lc-tip"), root, true);
  q(".lc-freeze input").addEventListener("change", (e) => {
    state.frozen = e.target.checked;
    if (!state.frozen) drawWeights(state);
  });
  // Keep every chart as wide as its cell (the page's column, a phone's width).
  new ResizeObserver(() => {
    for (const chart of Object.values(state.charts)) {
      const width = chartWidth(state, chart);
      if (chart.plot.width !== width) chart.plot.setSize({ width, height: chart.spec.height });
    }
  }).observe(root);
  root.__lc = state;
  return state;
}

function layout(state, spec) {
  // A keyframe's layout: make the charts it names (once), drop the others.
  state.palette = spec.palette;
  state.words = { ...state.words, ...(spec.words || {}) };
  state.font = spec.font || state.font;
  state.root.querySelector(".lc-freeze-text").textContent = state.words.freeze;
  state.colours = signedColours(spec.palette);
  const wanted = new Set(spec.charts.map((c) => c.id));
  for (const [id, chart] of Object.entries(state.charts)) {
    if (!wanted.has(id) || JSON.stringify(chart.spec) !== JSON.stringify(spec.charts.find((c) => c.id === id))) {
      chart.plot.destroy();
      chart.box.remove();
      delete state.charts[id];
    }
  }
  for (const c of spec.charts) if (!state.charts[c.id]) state.charts[c.id] = makeChart(state, c);
  for (const name of ["curves", "health"]) {
    state.sections[name].parentElement.hidden = !spec.charts.some((c) => c.section === name);
    state.captions[name].textContent = (spec.captions || {})[name] || "";
  }
  state.root.querySelector(".lc-weights .lc-caption").textContent = (spec.captions || {}).weights || "";
  const scale = state.root.querySelector(".lc-scale i");
  scale.style.background = `linear-gradient(to right, ${spec.palette.negative}, ${spec.palette.zero}, ${spec.palette.positive})`;
}

function apply(state, data) {
  // Returns whether the curves changed.
  if (data.key) {
    state.stream = data.stream;
    state.broken = false;
    layout(state, data.layout);
    for (const chart of Object.values(state.charts)) {
      chart.x = [];
      chart.ys = chart.spec.series.map(() => []);
    }
    for (const id of Object.keys(state.images)) {
      delete state.images[id];
    }
    state.tilesBox.textContent = "";
    state.matricesBox.textContent = "";
    state.latestImages = null;
  } else if (data.stream !== state.stream || data.seq <= state.seq) {
    return false;  // another run's frame, or one already applied
  }
  if (!data.key && data.seq !== state.seq + 1) state.broken = true;
  state.seq = data.seq;
  if (state.broken) return false;
  let changed = !!data.key;
  for (const [id, points] of Object.entries(data.points || {})) {
    const chart = state.charts[id];
    if (!chart) continue;
    if (points.from > chart.x.length) {
      state.broken = true;  // a gap: wait for the next keyframe
      return false;
    }
    if (!points.x.length && points.from === chart.x.length) continue;
    chart.x.length = points.from;
    chart.x.push(...points.x);
    points.ys.forEach((ys, s) => {
      chart.ys[s].length = points.from;
      chart.ys[s].push(...ys);
    });
    changed = true;
  }
  const view = JSON.stringify([data.x_range, data.now, data.marks, data.running]);
  if (view !== state.view) {
    state.view = view;
    state.xRange = data.x_range;
    state.now = data.now;
    state.marks = data.marks || [];
    state.running = data.running;
    changed = true;
  }
  if (data.images) {
    state.latestImages = data.images;
    state.weights.hidden = false;
    const limits = data.images.filter((i) => i.kind === "tiles").map((i) => i.limit);
    const limit = limits.length ? limits[0] : Math.max(...data.images.map((i) => i.limit));
    state.root.querySelector(".lc-lo").textContent = `−${number(limit, 2)}`;
    state.root.querySelector(".lc-hi").textContent = `+${number(limit, 2)}`;
    if (!state.frozen) drawWeights(state);
  }
  return changed;
}

function askForNext(state, component, data) {
  // The browser paces a running stream: once a frame is drawn, it asks the server for the
  // next one (a trigger value reruns the fragment around the view), at most every
  // data.pace seconds. A fixed timer would ask again while the server still draws the
  // last frame, and Streamlit drops a fragment run's output that a newer request
  // superseded; asking only after drawing never overlaps. A frame lost on the way all
  // the same (a click's page run, the panel's slow fallback timer) leaves a gap in the
  // deltas: then it asks at once for a keyframe (everything again).
  clearTimeout(state.askTimer);
  if (!data.running || !data.pace) return;
  const keyframe = state.broken;
  const wait = keyframe ? 0 : Math.max(0, data.pace * 1000 - (performance.now() - (state.askedAt || 0)));
  state.askTimer = setTimeout(() => {
    state.askedAt = performance.now();
    state.asks = (state.asks || 0) + 1;
    component.setTriggerValue("drawn", { n: state.asks, keyframe });
  }, wait);
}

export default function (component) {
  const { data } = component;
  if (!data) return;
  const state = mountedPanel(component, "lc-root", "__lc", build);
  const changed = apply(state, data);
  askForNext(state, component, data);
  if (!changed) return;
  for (const chart of Object.values(state.charts)) chart.plot.setData([chart.x, ...chart.ys]);
  state.frames += 1;
  // Tests read the frame rate from this count (and the weights' from theirs).
  state.root.dataset.frames = String(state.frames);
}
