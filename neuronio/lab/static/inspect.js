// The Inspect page: summary, training history, filters, confusion matrix (click a cell), top-9 patches.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let summary = null, shownModel = null;
  const history = new LineChart($("inspect-history"), [
    {name: "training", color: "#2f6fde", dots: true}, {name: "validation", color: "#e8710a", dots: true},
  ], {xLabel: "epochs", percent: true, wholeX: true, empty: "no history saved with this model"});

  async function load() {
    if (!Lab.modelId || Lab.modelId === shownModel) return;
    shownModel = Lab.modelId;
    showError("inspect-error", "");
    for (const id of ["inspect-filters", "inspect-confusion", "inspect-cell", "inspect-patches"]) $(id).replaceChildren();
    $("inspect-cell-title").textContent = "";
    try {
      summary = await api("/api/inspect/summary?model=" + encodeURIComponent(shownModel));
    } catch (exc) {
      showError("inspect-error", exc.message);
      return;
    }
    $("inspect-summary").textContent = summary.text + `\n\nInput shape: (${summary.input_shape.join(", ")})` +
      (summary.table ? "\n\nThe decks' table (shares of the weights rounded; the deck truncates them):\n" + summary.table : "");
    showHistory(summary.record);
    fillSelect($("inspect-filter-layer"), summary.conv_layers, "no convolution layer");
    fillSelect($("inspect-dataset"), summary.datasets, "no dataset fits this model");
    if (summary.dataset) $("inspect-dataset").value = summary.dataset;
    fillSelect($("inspect-samples"), summary.sample_choices.map(String), "");
    $("inspect-samples").value = "1000";
    fillSelect($("inspect-patch-layer"), summary.patch_layers, "no layer with feature maps");
    // Deeper layers have the telling patches (the decks' Zeiler & Fergus picture): start at the last convolution.
    const convs = summary.patch_layers.filter((name) => summary.conv_layers.includes(name));
    if (convs.length) $("inspect-patch-layer").value = convs[convs.length - 1];
    await filters();
    await confusion();
    await patches();
  }

  function fillSelect(select, items, emptyText) {
    select.replaceChildren(...(items.length ? items : [""]).map((item) => {
      const option = element("option", null, item || emptyText);
      option.value = item;
      return option;
    }));
    select.disabled = !items.length;
  }

  function query(extra) {
    const params = new URLSearchParams({
      model: shownModel, dataset: $("inspect-dataset").value, samples: $("inspect-samples").value, ...extra,
    });
    return params.toString();
  }

  // -- training history --------------------------------------------------------------------------------
  function showHistory(record) {
    const h = record.history || {};
    const key = h.accuracy ? "accuracy" : Object.keys(h).find((k) => !k.startsWith("val_") && k !== "loss");
    history.set(0, key ? h[key].map((v, i) => [i + 1, v]) : []);
    history.set(1, key && h["val_" + key] ? h["val_" + key].map((v, i) => [i + 1, v]) : []);
    history.draw();
    $("inspect-history").classList.toggle("hidden", !key);
    const test = record.test_accuracy !== undefined ? ` Test accuracy when it was saved: ${percent(record.test_accuracy, 2)}.` : "";
    $("inspect-history-note").textContent = key
      ? "Accuracy after each epoch." + test
      : "No per-epoch history was saved with this model (only runs of `neuronio train` and the lab have one)." + test;
  }

  // -- filters -------------------------------------------------------------------------------------------
  $("inspect-filter-layer").addEventListener("change", filters);

  async function filters() {
    const layer = $("inspect-filter-layer").value;
    if (!layer) {
      $("inspect-filters-note").textContent = "";
      $("inspect-filters").replaceChildren(element("p", "note", "This model has no convolution layer, so no filters."));
      return;
    }
    try {
      const data = await api(`/api/inspect/filters?model=${encodeURIComponent(shownModel)}&layer=${encodeURIComponent(layer)}`);
      const block = decodeU8(data.tiles);
      const [f, h, w] = block.shape;
      const channels = block.shape.length === 4 ? 3 : 1;
      const size = Math.max(64, Math.min(140, h * 4));
      const tiles = [];
      for (let k = 0; k < f; k++) {
        const tile = element("div", "filter-tile");
        const canvas = element("canvas");
        const offset = k * h * w * channels;
        if (channels === 3) {
          paint(canvas, h, w, (i) => offset + 3 * i, (j) => [block.bytes[j], block.bytes[j + 1], block.bytes[j + 2]]);
        } else {
          paint(canvas, h, w, (i) => block.bytes[offset + i], (b) => diverging(b / 255, ...BLUE_RED));
        }
        canvas.style.width = canvas.style.height = size + "px";
        tile.append(canvas, element("div", null, `filter ${k}`));
        tiles.push(tile);
      }
      const [kh, kw, c, n] = data.kernel_shape;
      $("inspect-filters-note").textContent = {
        weights: `${n} filters of ${kh}×${kw}. Red = positive weight, blue = negative, white = zero (one scale for ` +
          "the whole layer). A filter responds most where the image looks like its red part and not like its blue part.",
        rgb: `${n} filters of ${kh}×${kw}×3, each shown as a colour image (its red, green and blue weights scaled to ` +
          "its own range): a filter responds most to image patches of that colour pattern.",
        channels: `${n} filters of ${kh}×${kw}×${c}: each tile holds the filter's ${c} slices, one per input ` +
          "channel (one feature map of the layer below). Red = positive weight, blue = negative, white = zero.",
      }[data.kind];
      $("inspect-filters").replaceChildren(...tiles);
      $("inspect-filters").title = `${n} filters of ${kh}x${kw}x${c} (largest |weight| ${formatNumber(data.tiles.max)})`;
    } catch (exc) {
      showError("inspect-error", exc.message);
    }
  }

  // -- confusion matrix ----------------------------------------------------------------------------------
  $("inspect-confusion-go").addEventListener("click", confusion);

  async function confusion() {
    if (!summary || !summary.datasets.length) return;
    $("inspect-confusion-status").textContent = "Predicting the test images...";
    try {
      const data = await api("/api/inspect/confusion?" + query({}));
      $("inspect-confusion-status").textContent =
        `Accuracy ${percent(data.accuracy, 2)} on the first ${data.samples.toLocaleString()} ${data.dataset} test images.`;
      $("inspect-confusion").replaceChildren(matrix(data));
    } catch (exc) {
      $("inspect-confusion-status").textContent = "";
      showError("inspect-error", "Confusion matrix: " + exc.message);
    }
  }

  function matrix(data) {
    const names = data.class_names, k = names.length;
    const table = element("table", "confusion");
    const axis = element("tr");
    const predictedHead = element("th", "axis", "predicted class →");
    predictedHead.colSpan = k;
    axis.append(element("th"), predictedHead);
    const head = element("tr");
    head.append(element("th", "axis", "true ↓"), ...names.map((n) => element("th", null, n)));
    table.append(axis, head);
    data.counts.forEach((row, t) => {
      const tr = element("tr");
      tr.append(element("th", null, names[t]));
      const total = row.reduce((a, b) => a + b, 0) || 1;
      row.forEach((count, p) => {
        const share = count / total;
        const td = element("td", null, count ? String(count) : "");
        const strength = t === p ? share : Math.min(1, share * 5);  // mistakes are rarer: scaled up to be seen
        td.style.background = t === p ? `rgba(47, 111, 222, ${strength})` : `rgba(180, 35, 24, ${strength})`;
        td.style.color = strength > 0.55 ? "#fff" : "#1d2430";
        td.title = `true ${names[t]}, predicted ${names[p]}: ${count} (${percent(share)} of the ${names[t]}s)`;
        td.dataset.true = t; td.dataset.predicted = p;
        td.addEventListener("click", () => cell(td, t, p));
        tr.append(td);
      });
      table.append(tr);
    });
    return table;
  }

  async function cell(td, t, p) {
    document.querySelectorAll("table.confusion td.selected").forEach((c) => c.classList.remove("selected"));
    td.classList.add("selected");
    const names = summary.class_names;
    try {
      const data = await api("/api/inspect/cell?" + query({true: t, predicted: p}));
      $("inspect-cell-title").textContent = t === p
        ? `${names[t]} predicted correctly: ${data.count} images` + (data.count > data.indices.length ? ` (${data.indices.length} most confident shown)` : "")
        : `true ${names[t]} predicted as ${names[p]}: ${data.count} images` + (data.count > data.indices.length ? ` (${data.indices.length} most confident shown)` : "");
      const images = decodeU8(data.images);
      $("inspect-cell").replaceChildren(...data.indices.map((index, i) => {
        const thumb = element("div", "thumb");
        thumb.append(imageCanvas(images, i), element("div", null, `#${index} · ${percent(data.confidence[i], 0)}`));
        thumb.title = `test image ${index}; the model gives ${names[p]} ${percent(data.confidence[i])}`;
        return thumb;
      }));
      if (!data.count) $("inspect-cell").replaceChildren(element("p", "note", "No test image falls in this cell."));
    } catch (exc) {
      showError("inspect-error", exc.message);
    }
  }

  // -- top-9 patches -------------------------------------------------------------------------------------
  $("inspect-patches-go").addEventListener("click", patches);
  $("inspect-patch-layer").addEventListener("change", patches);

  async function patches() {
    const layer = $("inspect-patch-layer").value;
    if (!layer || !summary.datasets.length) return;
    $("inspect-patches-status").textContent = "Finding the strongest responses...";
    try {
      const data = await api("/api/inspect/patches?" + query({layer}));
      const block = decodeU8(data.patches), outside = decodeU8(data.outside);
      const [f, k, h, w] = block.shape;
      const channels = block.shape.length === 5 ? 3 : 1;
      const side = Math.ceil(Math.sqrt(k));
      const blocks = [];
      for (let n = 0; n < f; n++) {
        const canvas = element("canvas");
        const H = side * (h + 1) - 1, W = side * (w + 1) - 1;
        canvas.width = W; canvas.height = H;
        const ctx = canvas.getContext("2d");
        const image = ctx.createImageData(W, H);
        for (let q = 0; q < W * H; q++) image.data.set([...PATCH_GAP, 255], 4 * q);
        for (let r = 0; r < k; r++) {
          const oy = Math.floor(r / side) * (h + 1), ox = (r % side) * (w + 1);
          for (let i = 0; i < h * w; i++) {
            const y = Math.floor(i / w), x = i % w;
            const q = 4 * ((oy + y) * W + ox + x);
            const base = ((n * k + r) * h * w + i);
            if (outside.bytes[base]) { image.data.set([...PATCH_OUTSIDE, 255], q); continue; }
            const v = channels === 3 ? [block.bytes[3 * base], block.bytes[3 * base + 1], block.bytes[3 * base + 2]] : ink(block.bytes[base]);
            image.data.set([v[0], v[1], v[2], 255], q);
          }
        }
        ctx.putImageData(image, 0, 0);
        const scale = Math.max(2, Math.min(8, Math.floor(110 / W)));
        canvas.style.width = W * scale + "px"; canvas.style.height = H * scale + "px";
        const box = element("div", "patch-block");
        box.append(canvas, element("div", null, `filter ${n}`));
        box.title = `filter ${n}: strongest responses ${data.activations[n].slice(0, 3).map(formatNumber).join(", ")}, ...`;
        blocks.push(box);
      }
      $("inspect-patches").replaceChildren(...blocks);
      $("inspect-patches-status").textContent =
        `${data.layer}: each patch is ${data.field.size[0]}×${data.field.size[1]} input pixels (the receptive field), ` +
        `searched over ${data.samples.toLocaleString()} test images.`;
    } catch (exc) {
      $("inspect-patches-status").textContent = "";
      showError("inspect-error", "Top-9 patches: " + exc.message);
    }
  }

  Lab.pages.inspect = {
    show() {
      if (!Lab.modelId) { showError("inspect-error", "There is no model to inspect yet (see the note above)."); return; }
      load();
    },
    modelChanged() { if (Lab.current === "inspect") load(); },
  };
})();
