// The Draw page: a canvas for mouse, pen or touch; every change is sent to /api/predict (one request
// in flight at a time, the latest drawing sent as soon as the previous answer arrives).
"use strict";

(() => {
  const LINE_WIDTH = 22;  // on the 280-px canvas: about 2 px once the digit is scaled into MNIST's 20-px box
  const canvas = document.getElementById("draw-canvas");
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const strokes = [];
  let current = null, inFlight = false, dirty = false, layoutKey = null;

  // -- drawing ---------------------------------------------------------------------------------------
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  }

  function paintStroke(stroke) {
    ctx.lineWidth = LINE_WIDTH; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#000";
    ctx.beginPath();
    ctx.moveTo(stroke[0][0], stroke[0][1]);
    if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.01, stroke[0][1]);  // a dot
    for (const [x, y] of stroke.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }

  function repaint() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    strokes.forEach(paintStroke);
    document.getElementById("draw-placeholder").classList.toggle("hidden", strokes.length > 0);
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    repaint();
    changed();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) current.push(point(e));
    repaint();
    changed();
  });
  const end = () => { if (current) { current = null; changed(); } };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  document.getElementById("draw-undo").addEventListener("click", () => { strokes.pop(); repaint(); changed(); });
  document.getElementById("draw-clear").addEventListener("click", () => { strokes.length = 0; repaint(); changed(); });

  // -- asking the model ------------------------------------------------------------------------------
  function changed() {
    dirty = true;
    if (!inFlight) send();
  }

  function ink() {
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const bytes = new Uint8Array(canvas.width * canvas.height);
    for (let i = 0; i < bytes.length; i++) bytes[i] = pixels[4 * i + 3];  // alpha = ink (paper is transparent)
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return btoa(text);
  }

  async function send() {
    dirty = false;
    if (!strokes.length) { blank(); return; }
    if (!Lab.modelId) {
      showError("draw-error", "There is no model to ask yet: see the note above on how to train one.");
      return;
    }
    inFlight = true;
    try {
      const data = await api("/api/predict", {model: Lab.modelId, width: canvas.width, height: canvas.height, pixels: ink()});
      if (strokes.length) show(data);
      showError("draw-error", "");
    } catch (exc) {
      blank();  // no answer is better than the previous model's
      showError("draw-error", exc.message);
    } finally {
      inFlight = false;
      if (dirty) send();
    }
  }

  // -- showing the answer ----------------------------------------------------------------------------
  function blank() {
    paint(document.getElementById("draw-input"), 28, 28, () => 0, gray);
    const prediction = document.getElementById("draw-prediction");
    prediction.textContent = "–";
    prediction.dataset.prediction = "";
    document.getElementById("draw-probabilities").replaceChildren();
    document.getElementById("draw-timing").textContent = "";
    document.getElementById("draw-layers").replaceChildren();
    layoutKey = null;
  }

  function show(data) {
    const input = decodeU8(data.input);
    paint(document.getElementById("draw-input"), 28, 28, (i) => input.bytes[i], gray);
    const prediction = document.getElementById("draw-prediction");
    const names = data.class_names;
    if (data.prediction === null) {
      prediction.textContent = "–";
      prediction.dataset.prediction = "";
    } else {
      prediction.replaceChildren(
        document.createTextNode(names[data.prediction] + " "),
        element("small", null, `(${percent(data.probabilities[data.prediction])} sure)`),
      );
      prediction.dataset.prediction = names[data.prediction];
    }
    const rows = [];
    data.probabilities.forEach((p, k) => {
      const top = k === data.prediction ? " top" : "";
      const bar = element("div", "bar" + top);
      const fill = element("div");
      fill.style.width = percent(p);
      bar.appendChild(fill);
      rows.push(element("span", top.trim(), names[k]), bar, element("span", "value" + top, percent(p)));
    });
    document.getElementById("draw-probabilities").replaceChildren(...rows);
    document.getElementById("draw-timing").textContent =
      `Answered in ${data.milliseconds.toFixed(1)} ms on the server (preprocessing and every layer).`;
    showLayers(data);
  }

  function showLayers(data) {
    const key = data.model + "|" + data.layers.map((l) => l.name + l.shape.join("x")).join(",");
    const box = document.getElementById("draw-layers");
    if (key !== layoutKey) {
      layoutKey = key;
      box.replaceChildren(...data.layers.map((layer, i) => layerRow(layer, i === data.layers.length - 1)));
    }
    data.layers.forEach((layer, i) => updateLayer(box.children[i], layer, i === data.layers.length - 1 ? data.class_names : null));
  }

  function layerRow(layer, last) {
    const row = element("div", "layer");
    const title = element("div", "layer-title");
    const shape = layer.shape.join("×");
    title.append(element("b", null, layer.name), element("span", null, ` ${layer.class} · output ${shape}`));
    if (layer.kind === "maps") title.append(element("span", null, ` · ${layer.shape[2]} feature maps`));
    if (layer.kind === "bars") title.append(element("span", null, last ? " · the class probabilities" : ` · ${layer.shape[0]} units`));
    if (layer.kind === "note") title.append(element("span", null, ` — ${layer.note}`));
    const scale = element("span", "scale");
    title.append(scale);
    row.append(title);
    if (layer.kind === "maps") {
      const [h, , c] = layer.shape;
      const size = Math.max(32, Math.min(56, h * 4));
      const maps = element("div", "maps");
      for (let k = 0; k < c; k++) {
        const map = element("canvas");
        map.style.width = map.style.height = size + "px";
        map.title = `${layer.name}, map ${k}`;
        maps.append(map);
      }
      row.append(maps);
    } else if (layer.kind === "bars") {
      const bars = element("canvas", "bars");
      const units = layer.shape[0];
      bars.width = Math.min(1100, Math.max(last ? 360 : 200, units * (units <= 64 ? 12 : units <= 300 ? 3 : units <= 600 ? 2 : 1)));
      bars.height = last ? 90 : 70;
      row.append(bars);
    }
    return row;
  }

  function updateLayer(row, layer, classNames) {
    if (layer.kind === "note") return;
    const block = decodeU8(layer.values);
    row.querySelector(".scale").textContent = ` · values ${formatNumber(block.min)} to ${formatNumber(block.max)}`;
    if (layer.kind === "maps") {
      const [h, w, c] = layer.shape;
      row.querySelectorAll(".maps canvas").forEach((map, k) => paint(map, h, w, (i) => block.bytes[i * c + k], gray));
      return;
    }
    const bars = row.querySelector("canvas.bars");
    const g = bars.getContext("2d");
    const units = layer.shape[0];
    const labelSpace = classNames ? 16 : 0;
    const H = bars.height - labelSpace, W = bars.width;
    g.clearRect(0, 0, W, bars.height);
    const low = Math.min(0, block.min), high = Math.max(0, block.max) || 1;
    const zero = H - ((0 - low) / (high - low)) * H;
    const step = W / units;
    for (let u = 0; u < units; u++) {
      const v = valueOf(block, block.bytes[u]);
      const y = H - ((v - low) / (high - low)) * H;
      g.fillStyle = v >= 0 ? "#2f6fde" : "#d1495b";
      g.fillRect(u * step, Math.min(y, zero), Math.max(1, step - (step > 3 ? 1 : 0)), Math.max(1, Math.abs(zero - y)));
    }
    g.fillStyle = "#aab2bf"; g.fillRect(0, zero, W, 1);
    if (classNames) {
      g.fillStyle = "#1d2430"; g.font = "11px system-ui, sans-serif"; g.textAlign = "center";
      classNames.forEach((name, k) => g.fillText(name.length > 6 ? name.slice(0, 6) : name, (k + 0.5) * step, bars.height - 3));
    }
  }

  Lab.pages.draw = {
    show() { if (!strokes.length) blank(); },
    modelChanged() { layoutKey = null; if (strokes.length) changed(); else blank(); },
  };
})();
