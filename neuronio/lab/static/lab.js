// neuronio lab: what the four pages share (requests, arrays, colours, charts, tabs, the model picker).
// Plain JavaScript, no libraries: the page must work without any network access.
"use strict";

const Lab = {
  pages: {},          // name -> {show(), modelChanged()} registered by draw.js, train.js, ...
  models: [],         // [{id, label, dataset, ...}] from /api/models
  modelId: null,      // the model Draw and Inspect use
  current: null,      // the page on screen
};

// -- requests ------------------------------------------------------------------------------------
async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (exc) {
    throw new Error("The lab server does not answer. Is `neuronio lab` still running?");
  }
  let data = null;
  try { data = await response.json(); } catch (exc) { /* not JSON: handled below */ }
  if (!response.ok) {
    throw new Error((data && data.error) || `The server answered ${response.status} ${response.statusText}.`);
  }
  return data;
}

function showError(id, message) {
  const box = document.getElementById(id);
  box.textContent = message;
  box.classList.toggle("hidden", !message);
}

// -- arrays sent as base64 bytes (neuronio/lab/wire.py: encode_u8) ----------------------------------
function decodeU8(block) {
  const text = atob(block.data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return {shape: block.shape, min: block.min, max: block.max, bytes};
}

// The value a byte stands for.
function valueOf(block, byte) { return block.min + (byte / 255) * (block.max - block.min); }

// Paint an (h, w) channel of bytes into a canvas; `pick(i)` gives the byte of pixel i, `color` maps it to [r, g, b].
function paint(canvas, h, w, pick, color) {
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = color(pick(i));
    image.data[4 * i] = r; image.data[4 * i + 1] = g; image.data[4 * i + 2] = b; image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

const gray = (byte) => [byte, byte, byte];
// Dataset images (thumbnails, top-9 patches) as ink on paper: 0 is white, 255 is black, as the report draws
// them (neuronio/visualize/_style.py: IMAGE_CMAP) and as the digits were written. Feature maps and the Draw
// page's 28x28 input keep `gray`: they show the numbers the network computes with, bright = large.
const ink = (byte) => [255 - byte, 255 - byte, 255 - byte];
const PATCH_OUTSIDE = [207, 227, 240];  // _style.OUTSIDE: zero padding beyond the image's edge
const PATCH_GAP = [153, 153, 153];  // _style.NEUTRAL: the lines between the patches of a block

// Diverging colours for signed values: t in [0, 1], 0.5 = white. `low`/`high` are the end colours.
function diverging(t, low, high) {
  const c = t < 0.5 ? low : high;
  const s = Math.min(1, Math.abs(t - 0.5) * 2);
  return [255 + (c[0] - 255) * s, 255 + (c[1] - 255) * s, 255 + (c[2] - 255) * s];
}
const BLUE_RED = [[33, 102, 172], [178, 24, 43]];
const ORANGE_BLUE = [[245, 147, 34], [8, 119, 189]];

// A dataset image (grey or RGB) from an encode_images block, image number n, as a canvas.
function imageCanvas(block, n) {
  const [, h, w] = block.shape;
  const channels = block.shape.length === 4 ? block.shape[3] : 1;
  const canvas = document.createElement("canvas");
  const offset = n * h * w * channels;
  if (channels === 3) {
    paint(canvas, h, w, (i) => offset + 3 * i, (k) => [block.bytes[k], block.bytes[k + 1], block.bytes[k + 2]]);
  } else {
    paint(canvas, h, w, (i) => block.bytes[offset + i], ink);
  }
  return canvas;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function percent(value, digits = 1) { return (100 * value).toFixed(digits) + "%"; }

// -- a small line chart on a canvas ----------------------------------------------------------------
class LineChart {
  // series: [{name, color, dash, dots}]; options: {xLabel, percent, zeroBased, wholeX (x ticks on whole numbers: epochs)}
  constructor(canvas, series, options = {}) {
    this.canvas = canvas;
    this.series = series.map((s) => ({...s, points: []}));
    this.options = options;
    this.draw();
  }
  clear() { this.series.forEach((s) => { s.points = []; }); this.draw(); }
  add(index, x, y) { if (Number.isFinite(y)) this.series[index].points.push([x, y]); }
  set(index, points) { this.series[index].points = points.filter((p) => Number.isFinite(p[1])); }
  count() { return this.series.reduce((n, s) => n + s.points.length, 0); }

  draw() {
    const {canvas, options} = this;
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    const left = 52, right = 12, top = 24, bottom = options.compact ? 8 : 34;
    ctx.clearRect(0, 0, W, H);
    const all = this.series.flatMap((s) => s.points);
    let xMax = Math.max(options.xMin || 1, ...all.map((p) => p[0]));
    let yMin = options.zeroBased ? 0 : Math.min(...all.map((p) => p[1]));
    let yMax = Math.max(...all.map((p) => p[1]));
    if (!all.length) { yMin = 0; yMax = 1; }
    if (options.percent) { yMax = Math.min(1, yMax + 0.02); yMin = Math.max(0, yMin - 0.02); }
    if (yMax - yMin < 1e-6) { yMax = yMin + 1; }
    const X = (x) => left + (x / xMax) * (W - left - right);
    const Y = (y) => top + (1 - (y - yMin) / (yMax - yMin)) * (H - top - bottom);
    // axes and grid
    ctx.font = "11px system-ui, sans-serif";
    ctx.strokeStyle = "#e3e7ee"; ctx.fillStyle = "#5b6575"; ctx.lineWidth = 1;
    for (const y of niceTicks(yMin, yMax, options.compact ? 2 : 4)) {
      ctx.beginPath(); ctx.moveTo(left, Y(y)); ctx.lineTo(W - right, Y(y)); ctx.stroke();
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      ctx.fillText(options.percent ? Math.round(y * 100) + "%" : formatNumber(y), left - 6, Y(y));
    }
    if (!options.compact) {
      // Whole epochs: a one-epoch history is ticked 0 and 1, not 0, 0.2, ... 1.
      const xTicks = niceTicks(0, xMax, 6).filter((x) => !options.wholeX || Number.isInteger(x));
      canvas.dataset.xTicks = xTicks.join(",");
      for (const x of xTicks) {
        ctx.textAlign = "center"; ctx.textBaseline = "top";
        ctx.fillText(formatNumber(x), X(x), H - bottom + 4);
      }
      ctx.fillText(options.xLabel || "", (left + W - right) / 2, H - 14);
    }
    ctx.strokeStyle = "#aab2bf";
    ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, H - bottom); ctx.lineTo(W - right, H - bottom); ctx.stroke();
    // series
    for (const s of this.series) {
      ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = 2; ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      s.points.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      ctx.stroke();
      ctx.setLineDash([]);
      if (s.dots || s.points.length === 1) {
        for (const [x, y] of s.points) { ctx.beginPath(); ctx.arc(X(x), Y(y), 3, 0, 2 * Math.PI); ctx.fill(); }
      }
    }
    // legend
    let lx = left + 4;
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    for (const s of this.series) {
      if (!s.name) continue;
      ctx.fillStyle = s.color; ctx.fillRect(lx, 8, 14, 4);
      ctx.fillStyle = "#1d2430"; ctx.fillText(s.name, lx + 18, 10);
      lx += 26 + ctx.measureText(s.name).width;
    }
    if (!all.length && options.empty) {
      ctx.fillStyle = "#aab2bf"; ctx.textAlign = "center";
      ctx.fillText(options.empty, (left + W) / 2, (top + H - bottom) / 2);
    }
  }
}

function niceTicks(low, high, count) {
  const raw = (high - low) / count;
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + 1e-9; t += step) ticks.push(+t.toFixed(10));
  return ticks;
}

function formatNumber(x) {
  if (x === 0) return "0";
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 1) return (+x.toFixed(2)).toString();
  return (+x.toPrecision(2)).toString();
}

// -- the model picker --------------------------------------------------------------------------------
// The picker's tooltip: the chosen model's whole name, however narrow the picker.
function showModelTitle() {
  const select = document.getElementById("model-select");
  const chosen = select.selectedOptions[0];
  select.title = (chosen && chosen.value ? chosen.textContent + " — " : "") + "the model the Draw and Inspect pages use";
}

async function loadModels(preferred) {
  const data = await api("/api/models");
  Lab.models = data.models;
  const select = document.getElementById("model-select");
  select.replaceChildren(...data.models.map((m) => {
    const option = element("option", null, m.label);
    option.value = m.id;
    option.title = m.label;  // a name longer than the picker is whole in its tooltip
    return option;
  }));
  if (!data.models.length) {
    const none = element("option", null, "no trained model yet");
    none.value = "";
    select.append(none);
  }
  const wanted = preferred || Lab.modelId || data.default;
  Lab.modelId = data.models.some((m) => m.id === wanted) ? wanted : data.default;
  select.value = Lab.modelId || "";
  select.disabled = !data.models.length;
  showModelTitle();
  const banner = document.getElementById("no-model");
  banner.textContent = data.hint ? data.hint + "\nThe Train page can train one here too; Playground needs none." : "";
  banner.classList.toggle("hidden", !data.hint || Lab.current === "playground" || Lab.current === "train");
  return data;
}

function openModel(id, page) {
  loadModels(id).then(() => {
    for (const p of Object.values(Lab.pages)) if (p.modelChanged) p.modelChanged();
    location.hash = "#" + page;
  });
}

// -- tabs ----------------------------------------------------------------------------------------------
function showPage() {
  const name = (location.hash || "#draw").slice(1);
  const page = Lab.pages[name] ? name : "draw";
  if (Lab.current && Lab.current !== page && Lab.pages[Lab.current].hide) Lab.pages[Lab.current].hide();
  Lab.current = page;
  for (const link of document.querySelectorAll("#tabs a")) link.classList.toggle("active", link.dataset.page === page);
  for (const main of document.querySelectorAll("main.page")) main.classList.toggle("hidden", main.id !== "page-" + page);
  document.getElementById("model-picker").classList.toggle("hidden", page !== "draw" && page !== "inspect");
  const banner = document.getElementById("no-model");
  banner.classList.toggle("hidden", !banner.textContent || page === "playground" || page === "train");
  Lab.pages[page].show();
}

document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("model-select").addEventListener("change", (event) => {
    Lab.modelId = event.target.value;
    showModelTitle();
    for (const p of Object.values(Lab.pages)) if (p.modelChanged) p.modelChanged();
  });
  try {
    await loadModels();
  } catch (exc) {
    const banner = document.getElementById("no-model");
    banner.textContent = exc.message;
    banner.classList.remove("hidden");
  }
  window.addEventListener("hashchange", showPage);
  showPage();
});
