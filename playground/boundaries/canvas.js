// The Boundaries page's live panel: network diagram, decision boundary, curves and
// confusion matrix, drawn on canvases that stay mounted and are redrawn in place.
// The payload is built in Python (playground/boundary_figures.py); nothing here
// computes anything about the network, it only draws what it is given. panelRoot,
// mountedPanel and tipShower come from playground/shell/panel_kit.js (component.py prepends it).

const WHITE = [255, 255, 255];
// Every colour that means something (signs, classes, counts, curves) comes in the
// payload (data.colours, data.palette), from playground/common/figures.py; the greys
// here only frame and label.
// The boundary is a tint (at most this much of the class colour), so points stand out.
const BOUNDARY_STRENGTH = 0.6;

// The panel's own words, in the tab's language (Python sends them as ``data.words``);
// "{name}" placeholders are filled from the values given.
const WORDS = {
  class: "class {i}", test_points: "test points", units: "{title}: {n} units",
  scaled: "(colours scaled by 1/{n})", plane: "over the plane: {low} to {high}",
  loss: "loss", accuracy: "accuracy", train: "train", test: "test", epoch: "epoch",
  predicted: "predicted {j}", true: "true {i}", confusion: "Confusion matrix (test points)",
  net_label: "The network: each unit's output over the plane, and the weights between units",
  boundary_label: "The decision boundary with the points",
  curves_label: "Train and test loss and accuracy per epoch", font: "sans-serif",
};

function W(data) {
  return { ...WORDS, ...((data && data.words) || {}) };
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

function bytes(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function setup(canvas, width, height) {
  // A canvas of width x height CSS pixels, sharp on high-density screens.
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

function image(n, m, colourAt) {
  // An n-wide, m-tall offscreen canvas; colourAt(col, rowFromBottom) -> [r, g, b, a].
  const off = document.createElement("canvas");
  off.width = n;
  off.height = m;
  const ctx = off.getContext("2d");
  const img = ctx.createImageData(n, m);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      const [R, G, B, A] = colourAt(c, m - 1 - r);
      const k = 4 * (r * n + c);
      img.data[k] = R;
      img.data[k + 1] = G;
      img.data[k + 2] = B;
      img.data[k + 3] = A === undefined ? 255 : A;
    }
  }
  ctx.putImageData(img, 0, 0);
  return off;
}

function diverging(v, colours) {
  // v in [-1, 1]: the negative colour through white to the positive one.
  const t = Math.min(1, Math.abs(v));
  return [...mix(WHITE, v >= 0 ? colours.positive : colours.negative, t), 255];
}

// ----------------------------------------------------------------------------- boundary

function drawBoundary(state, data) {
  const { box, canvas } = state.boundary;
  const width = Math.max(220, Math.min(460, box.clientWidth || 380));
  const margin = { left: 34, right: 8, top: 8, bottom: 30 };
  const side = width - margin.left - margin.right;
  const height = side + margin.top + margin.bottom;
  const ctx = setup(canvas, width, height);
  const b = data.boundary;
  const n = b.n;
  const k = b.k;
  const proba = bytes(b.proba);
  const cols = data.colours.map(rgb);
  state.boundary.geometry = { margin, side, n, k, proba, domain: data.domain };
  const off = image(n, n, (c, r) => {
    const base = (r * n + c) * k;
    let best = 0;
    for (let j = 1; j < k; j++) if (proba[base + j] > proba[base + best]) best = j;
    const p = proba[base + best] / 255;
    let t;
    if (b.discretize) t = 1;
    else if (k === 2) t = Math.abs(2 * (proba[base + 1] / 255) - 1);
    else t = Math.max(0, (p - 1 / k) / (1 - 1 / k));
    return [...mix(WHITE, cols[best], BOUNDARY_STRENGTH * t), 255];
  });
  ctx.imageSmoothingEnabled = !b.discretize;
  ctx.drawImage(off, margin.left, margin.top, side, side);
  const toX = (x) => margin.left + ((x + data.domain) / (2 * data.domain)) * side;
  const toY = (y) => margin.top + side - ((y + data.domain) / (2 * data.domain)) * side;
  const dot = (pts, test) => {
    for (const [x, y, c] of pts) {
      ctx.beginPath();
      ctx.arc(toX(x), toY(y), test ? 3.6 : 3, 0, 2 * Math.PI);
      ctx.fillStyle = data.colours[c];
      ctx.fill();
      ctx.lineWidth = test ? 1.6 : 1;
      ctx.strokeStyle = test ? "#222222" : "#ffffff";
      ctx.stroke();
    }
  };
  dot(data.train, false);
  if (data.test) dot(data.test, true);
  // Axes: ticks every 2 units.
  ctx.strokeStyle = "#999999";
  ctx.lineWidth = 1;
  ctx.strokeRect(margin.left + 0.5, margin.top + 0.5, side - 1, side - 1);
  ctx.fillStyle = state.textColour;
  ctx.font = `11px ${W(data).font}`;
  for (let v = -data.domain; v <= data.domain + 1e-9; v += 2) {
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(String(v), toX(v), margin.top + side + 3);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(String(v), margin.left - 4, toY(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText("x1", margin.left + side / 2, height);
  ctx.save();
  ctx.translate(10, margin.top + side / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText("x2", 0, 0);
  ctx.restore();
  state.boundary.title.textContent = data.title;
  const legend = data.colours.map((c, i) =>
    `<span><i style="background:${c}"></i>${fill(W(data).class, { i })}</span>`).join("");
  state.boundary.legend.innerHTML = legend +
    (data.test ? `<span><i class="test"></i>${W(data).test_points}</span>` : "");
}

function boundaryHover(state, event) {
  const g = state.boundary.geometry;
  if (!g) return null;
  const rect = state.boundary.canvas.getBoundingClientRect();
  const px = event.clientX - rect.left - g.margin.left;
  const py = event.clientY - rect.top - g.margin.top;
  if (px < 0 || py < 0 || px >= g.side || py >= g.side) return null;
  const c = Math.min(g.n - 1, Math.floor((px / g.side) * g.n));
  const r = Math.min(g.n - 1, Math.floor(((g.side - py) / g.side) * g.n));
  const x1 = (px / g.side) * 2 * g.domain - g.domain;
  const x2 = ((g.side - py) / g.side) * 2 * g.domain - g.domain;
  const base = (r * g.n + c) * g.k;
  const ps = [];
  for (let j = 0; j < g.k; j++) ps.push(`P(class ${j}) ${(g.proba[base + j] / 255).toFixed(2)}`);
  return `x1 ${x1.toFixed(2)}, x2 ${x2.toFixed(2)}\n${ps.join("\n")}`;
}

// ----------------------------------------------------------------------------- network

// Layer titles are DOM text over the canvas (so they can wrap and be measured); each
// is tried in ever shorter forms until neighbours keep this gap between them.
const TITLE_GAP = 8;
const TITLE_LINE = 15;
const NET_LEFT = 46;
const NET_RIGHT = 52;
// A deep network's diagram takes the panel's whole width when its one-line titles
// would not fit in the left column at this many px per column.
const DEEP_MIN_PITCH = 70;

function titleForms(col, c) {
  // "Hidden 2 (8)"; "Hidden 2" over "(8)"; "H2" over "(8)"; the last again, smaller.
  if (col.kind !== "hidden") return [[[col.title], 12], [[col.title], 12], [[col.title], 12], [[col.title], 10]];
  const units = `(${col.units.length})`;
  return [[[`${col.title} ${units}`], 12], [[col.title, units], 12], [[`H${c}`, units], 12], [[`H${c}`, units], 10]];
}

function showTitles(titles, forms, form, xs, tooltips) {
  // Lays out every column's title in one form; returns their widths.
  titles.textContent = "";
  const lines = Math.max(...forms.map((f) => f[form][0].length));
  titles.style.height = `${lines * TITLE_LINE}px`;
  return forms.map((f, c) => {
    const [text, size] = f[form];
    const span = document.createElement("span");
    span.className = "bd-net-title";
    span.style.left = `${xs[c]}px`;
    span.style.fontSize = `${size}px`;
    span.title = tooltips[c];
    text.forEach((line, i) => {
      if (i) span.appendChild(document.createElement("br"));
      span.appendChild(document.createTextNode(line));
    });
    titles.appendChild(span);
    return span.getBoundingClientRect().width;
  });
}

function titlesFit(widths, xs) {
  for (let c = 1; c < widths.length; c++) {
    if (xs[c] - xs[c - 1] < (widths[c - 1] + widths[c]) / 2 + TITLE_GAP) return false;
  }
  return true;
}

function placeNetwork(state, columns) {
  // Whether the diagram spans the panel (a deep network, in the two-column layout),
  // decided again only when the layers or the panel's width change.
  const { box, titles } = state.network;
  const root = state.root;
  const forms = columns.map(titleForms);
  const key = JSON.stringify(forms) + "|" + root.clientWidth;
  if (state.network.placed === key) return forms;
  state.network.placed = key;
  state.network.titlesKey = null;
  root.classList.remove("bd-deep");
  const twoColumns = getComputedStyle(root.querySelector(".bd-grid")).gridTemplateColumns.split(" ").length > 1;
  if (twoColumns && columns.length > 1) {
    const oneLine = showTitles(titles, forms, 0, forms.map(() => 0), forms.map(() => ""));
    let need = DEEP_MIN_PITCH;
    for (let c = 1; c < oneLine.length; c++) need = Math.max(need, (oneLine[c - 1] + oneLine[c]) / 2 + TITLE_GAP);
    const wanted = NET_LEFT + NET_RIGHT + 44 + (columns.length - 1) * need;
    if (wanted > box.clientWidth) root.classList.add("bd-deep");
  }
  return forms;
}

function drawNetwork(state, data) {
  const { box, canvas, titles } = state.network;
  const net = data.network;
  const columns = net.columns;
  const nCols = columns.length;
  const tallest = Math.max(...columns.map((c) => c.units.length));
  const forms = placeNetwork(state, columns);
  const width = Math.max(300, box.clientWidth || 560);
  const left = NET_LEFT;
  const right = NET_RIGHT;
  const top = 4;
  const tile = Math.max(20, Math.min(44, Math.floor((width - left - right) / (nCols * 2.3))));
  const rowPitch = Math.round(tile * 1.3);
  const height = top + tallest * rowPitch + 8;
  const pitch = nCols > 1 ? (width - left - right - tile) / (nCols - 1) : 0;
  // The titles: the longest form whose neighbours do not touch.
  const xs = columns.map((_, c) => left + c * pitch + tile / 2);
  const tooltips = columns.map((col) =>
    col.kind === "hidden" ? fill(W(data).units, { title: col.title, n: col.units.length }) : col.title);
  const layoutKey = `${JSON.stringify(forms)}|${width}`;
  if (state.network.titlesKey !== layoutKey) {
    state.network.titlesKey = layoutKey;
    let form = 0;
    while (form < forms[0].length - 1 && !titlesFit(showTitles(titles, forms, form, xs, tooltips), xs)) form++;
    if (form === forms[0].length - 1) showTitles(titles, forms, form, xs, tooltips);
  }
  const ctx = setup(canvas, width, height);
  const colours = { negative: rgb(data.palette.negative), positive: rgb(data.palette.positive) };
  const cols = data.colours.map(rgb);
  const centres = columns.map((col, c) => {
    const n = col.units.length;
    const offset = top + ((tallest - n) * rowPitch) / 2;
    return col.units.map((_, j) => ({ x: left + c * pitch, y: offset + j * rowPitch }));
  });
  // Links, under the tiles: the positive or negative colour, thicker when larger.
  const links = [];
  net.weights.forEach((w, c) => {
    w.forEach((row, i) => {
      row.forEach((value, j) => {
        const a = centres[c][i];
        const b = centres[c + 1][j];
        const x0 = a.x + tile, y0 = a.y + tile / 2, x1 = b.x, y1 = b.y + tile / 2;
        const mid = (x0 + x1) / 2;
        ctx.beginPath();
        ctx.moveTo(x0, y0);
        ctx.bezierCurveTo(mid, y0, mid, y1, x1, y1);
        const size = Math.min(1, Math.abs(value) / 3);
        const [r, g, bl] = value >= 0 ? colours.positive : colours.negative;
        ctx.strokeStyle = `rgba(${r},${g},${bl},${0.25 + 0.65 * size})`;
        ctx.lineWidth = Math.max(0.5, Math.min(6, Math.abs(value) * 1.6));
        ctx.stroke();
        links.push({ x0, y0, x1, y1, mid, value,
                     text: `weight ${columns[c].units[i].name} → ${columns[c + 1].units[j].name}: ${value.toFixed(3)}` });
      });
    });
  });
  // Tiles: each unit's output over the plane.
  const g = net.g;
  const tiles = [];
  ctx.imageSmoothingEnabled = true;
  columns.forEach((col, c) => {
    col.units.forEach((unit, j) => {
      const values = bytes(unit.map);
      const off = image(g, g, (x, y) => {
        const raw = values[y * g + x];
        if (col.kind === "output") return [...mix(WHITE, cols[j % cols.length], 0.85 * raw / 255), 255];
        return diverging(raw / 127.5 - 1, colours);
      });
      const { x, y } = centres[c][j];
      ctx.drawImage(off, x, y, tile, tile);
      ctx.strokeStyle = "#bbbbbb";
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 0.5, tile - 1, tile - 1);
      tiles.push({ x, y, unit });
    });
  });
  ctx.fillStyle = state.textColour;
  ctx.font = `11px ${W(data).font}`;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  columns[0].units.forEach((unit, j) => {
    const { x, y } = centres[0][j];
    ctx.fillText(unit.name, x - 4, y + tile / 2);
  });
  ctx.textAlign = "left";
  columns[nCols - 1].units.forEach((unit, j) => {
    const { x, y } = centres[nCols - 1][j];
    ctx.fillText(unit.name, x + tile + 4, y + tile / 2);
  });
  state.network.hit = { tiles, links, tile };
}

function networkHover(state, event) {
  const hit = state.network.hit;
  if (!hit) return null;
  const rect = state.network.canvas.getBoundingClientRect();
  const px = event.clientX - rect.left;
  const py = event.clientY - rect.top;
  for (const t of hit.tiles) {
    if (px >= t.x && px <= t.x + hit.tile && py >= t.y && py <= t.y + hit.tile) {
      const u = t.unit;
      const words = W(state.data);
      const scaled = u.scaled > 1 ? "\n" + fill(words.scaled, { n: u.scaled }) : "";
      return `${u.formula}\n` + fill(words.plane, { low: u.range[0], high: u.range[1] }) + scaled;
    }
  }
  let best = null;
  let bestDistance = 5;
  for (const l of hit.links) {
    if (px < Math.min(l.x0, l.x1) - 4 || px > Math.max(l.x0, l.x1) + 4) continue;
    for (let s = 0; s <= 16; s++) {
      const t = s / 16;
      const u = 1 - t;
      const x = u * u * u * l.x0 + 3 * u * u * t * l.mid + 3 * u * t * t * l.mid + t * t * t * l.x1;
      const y = u * u * u * l.y0 + 3 * u * u * t * l.y0 + 3 * u * t * t * l.y1 + t * t * t * l.y1;
      const d = Math.hypot(x - px, y - py);
      if (d < bestDistance) {
        bestDistance = d;
        best = l;
      }
    }
  }
  return best ? best.text : null;
}

// ----------------------------------------------------------------------------- curves

function drawCurves(state, data) {
  const { box, canvas } = state.curves;
  const width = Math.max(300, box.clientWidth || 560);
  const height = 190;
  const ctx = setup(canvas, width, height);
  const c = data.curves;
  const gap = 46;
  const panelWidth = (width - 44 - gap - 10) / 2;
  const panels = [
    { x: 44, title: W(data).loss, percent: false, keys: [["loss", W(data).train], ["val_loss", W(data).test]], low: 0, high: null },
    { x: 44 + panelWidth + gap, title: W(data).accuracy, percent: true, keys: [["accuracy", W(data).train], ["val_accuracy", W(data).test]], low: 0, high: 1 },
  ];
  const top = 24;
  const bottom = height - 26;
  const epochs = c.epoch;
  const last = Math.max(10, epochs.length ? epochs[epochs.length - 1] : 1);
  ctx.font = `11px ${W(data).font}`;
  for (const p of panels) {
    let high = p.high;
    if (high === null) {
      high = 0;
      for (const [key] of p.keys) for (const v of c[key]) if (v !== null && v > high) high = v;
      high = high > 0 ? high * 1.05 : 1;
    }
    const toX = (e) => p.x + ((e - 1) / Math.max(1, last - 1)) * panelWidth;
    const toY = (v) => bottom - ((v - p.low) / (high - p.low)) * (bottom - top);
    ctx.strokeStyle = "#cccccc";
    ctx.lineWidth = 1;
    ctx.strokeRect(p.x + 0.5, top + 0.5, panelWidth, bottom - top);
    ctx.fillStyle = state.textColour;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const fmt = (v) => (p.percent ? `${Math.round(v * 100)}%` : v.toFixed(2));
    ctx.fillText(fmt(high), p.x - 4, top);
    ctx.fillText(fmt(p.low), p.x - 4, bottom);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText("1", p.x, bottom + 3);
    ctx.fillText(String(last), p.x + panelWidth, bottom + 3);
    ctx.fillText(W(data).epoch, p.x + panelWidth / 2, bottom + 3);
    ctx.textBaseline = "bottom";
    ctx.textAlign = "left";
    const latest = p.keys.map(([key, name]) => {
      const values = c[key];
      const v = values.length ? values[values.length - 1] : null;
      return v === null ? `${name} —` : `${name} ${fmt(v)}`;
    }).join(" · ");
    ctx.fillText(`${p.title}: ${latest}`, p.x, top - 4);
    for (const [key, name] of p.keys) {
      const values = c[key];
      ctx.beginPath();
      let started = false;
      values.forEach((v, i) => {
        if (v === null) return;
        const x = toX(epochs[i]);
        const y = toY(Math.min(v, high));
        if (started) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        started = true;
      });
      ctx.setLineDash(name === "test" ? [5, 3] : []);
      ctx.strokeStyle = name === "test" ? data.palette.test : data.palette.train;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }
}

// ----------------------------------------------------------------------------- confusion

function drawConfusion(state, data) {
  const cm = data.confusion;
  const k = cm.length;
  const shade = rgb(data.palette.count);
  let html = "<table><tr><th></th>";
  for (let j = 0; j < k; j++) html += `<th>${fill(W(data).predicted, { j })}</th>`;
  html += "</tr>";
  cm.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    html += `<tr><th>${fill(W(data).true, { i })}</th>`;
    row.forEach((v) => {
      const t = v / total;
      const [r, g, b] = mix(WHITE, shade, t);
      const ink = t > 0.55 ? "#ffffff" : "#222222";
      html += `<td style="background:rgb(${r},${g},${b});color:${ink}">${v}</td>`;
    });
    html += "</tr>";
  });
  html += "</table>";
  state.confusion.box.innerHTML = html;
}

// ----------------------------------------------------------------------------- component

function build(parent) {
  const root = panelRoot(parent, "bd-root", `
    <div class="bd-grid">
      <div class="bd-net"><div class="bd-net-titles"></div><canvas role="img" aria-label="The network: each unit's output over the plane, and the weights between units"></canvas></div>
      <div class="bd-out"><div class="bd-title"></div><canvas role="img" aria-label="The decision boundary with the points"></canvas><div class="bd-legend"></div></div>
      <div class="bd-curves"><canvas role="img" aria-label="Train and test loss and accuracy per epoch"></canvas></div>
      <div class="bd-cm"><div class="bd-cm-title">Confusion matrix (test points)</div><div class="bd-cm-table"></div></div>
    </div>
    <div class="bd-tip" hidden></div>`);
  const q = (s) => root.querySelector(s);
  const state = {
    root,
    tip: q(".bd-tip"),
    network: { box: q(".bd-net"), canvas: q(".bd-net canvas"), titles: q(".bd-net-titles") },
    boundary: { box: q(".bd-out"), canvas: q(".bd-out canvas"), title: q(".bd-title"), legend: q(".bd-legend") },
    curves: { box: q(".bd-curves"), canvas: q(".bd-curves canvas") },
    confusion: { box: q(".bd-cm-table") },
  };
  const show = tipShower(state.tip, root, false);
  state.network.canvas.addEventListener("mousemove", (e) => show(networkHover(state, e), e));
  state.boundary.canvas.addEventListener("mousemove", (e) => show(boundaryHover(state, e), e));
  for (const c of [state.network.canvas, state.boundary.canvas]) {
    c.addEventListener("mouseleave", () => show(null));
  }
  root.__bd = state;
  return state;
}

export default function (component) {
  const { data } = component;
  if (!data) return;
  const state = mountedPanel(component, "bd-root", "__bd", build);
  state.textColour = getComputedStyle(state.root).color || "#31333f";
  state.data = data;
  // The words Python sends in the tab's language (the fixed HTML's are English until then).
  const words = W(data);
  state.root.querySelector(".bd-cm-title").textContent = words.confusion;
  state.root.querySelector(".bd-net canvas").setAttribute("aria-label", words.net_label);
  state.root.querySelector(".bd-out canvas").setAttribute("aria-label", words.boundary_label);
  state.root.querySelector(".bd-curves canvas").setAttribute("aria-label", words.curves_label);
  drawNetwork(state, data);
  drawBoundary(state, data);
  drawCurves(state, data);
  drawConfusion(state, data);
  // The browser tests count redraws by this number.
  state.root.dataset.frame = String(data.frame);
}
