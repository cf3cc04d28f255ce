// The Playground page: TensorFlow Playground's controls around a neuronio model trained on the server.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const DATASET_LABELS = {xor: "XOR", circle: "Circle", spiral: "Two spirals", gauss: "Gaussian blobs"};
  const settings = {
    dataset: "xor", noise: 0, train_percent: 50, batch_size: 10, activation: "tanh", learning_rate: 0.03,
    regularization: "none", regularization_rate: 0, hidden: [4, 2], features: ["x1", "x2"], seed: 0,
  };
  let options = null, session = null, data = null, state = null, playing = false, epochsPerStep = 1;
  let resetting = null;
  const lossChart = new LineChart($("pg-loss-chart"), [
    {name: "test loss", color: "#1d2430"}, {name: "training loss", color: "#9aa3b2"},
  ], {compact: true, zeroBased: true});

  // -- controls ----------------------------------------------------------------------------------------
  function fillSelect(select, values, value, label) {
    select.replaceChildren(...values.map((v) => {
      const option = element("option", null, label ? label(v) : String(v));
      option.value = String(v);
      return option;
    }));
    select.value = String(value);
  }

  async function setup() {
    options = await api("/api/playground/options");
    fillSelect($("pg-lr"), LEARNING_RATES, settings.learning_rate);
    fillSelect($("pg-activation"), options.activations, settings.activation);
    fillSelect($("pg-reg-rate"), REG_RATES, settings.regularization_rate);
    $("pg-datasets").replaceChildren(...options.datasets.map((name) => {
      const button = element("button");
      button.type = "button";
      button.dataset.dataset = name;
      button.append(preview(name), document.createTextNode(DATASET_LABELS[name] || name));
      button.addEventListener("click", () => { settings.dataset = name; reset(); });
      return button;
    }));
    $("pg-lr").addEventListener("change", (e) => { settings.learning_rate = Number(e.target.value); reset(); });
    $("pg-activation").addEventListener("change", (e) => { settings.activation = e.target.value; reset(); });
    $("pg-reg").addEventListener("change", (e) => {
      settings.regularization = e.target.value;
      $("pg-reg-rate").disabled = settings.regularization === "none";
      if (settings.regularization === "l2" && !settings.regularization_rate) {
        settings.regularization_rate = 0.003;  // a rate of 0 would change nothing
        $("pg-reg-rate").value = "0.003";
      }
      reset();
    });
    $("pg-reg-rate").disabled = true;
    $("pg-reg-rate").addEventListener("change", (e) => { settings.regularization_rate = Number(e.target.value); reset(); });
    slider("pg-split", "train_percent", (v) => v + "%");
    slider("pg-noise", "noise", (v) => String(v));
    slider("pg-batch", "batch_size", (v) => String(v));
    $("pg-regenerate").addEventListener("click", () => { settings.seed += 1; reset(); });
    $("pg-reset").addEventListener("click", () => { settings.seed += 1; reset(); });
    $("pg-play").addEventListener("click", () => (playing ? pause() : play()));
    $("pg-step").addEventListener("click", () => { pause(); step(1); });
    $("pg-show-test").addEventListener("change", drawBoundary);
    $("pg-add-layer").addEventListener("click", () => {
      if (settings.hidden.length < options.max_hidden_layers) { settings.hidden.push(2); reset(); }
    });
    $("pg-remove-layer").addEventListener("click", () => {
      if (settings.hidden.length) { settings.hidden.pop(); reset(); }
    });
    await reset();
  }

  function slider(id, key, format) {
    const input = $(id);
    input.value = settings[key];
    $(id + "-value").textContent = format(settings[key]);
    input.addEventListener("input", () => { $(id + "-value").textContent = format(Number(input.value)); });
    input.addEventListener("change", () => { settings[key] = Number(input.value); reset(); });
  }

  // -- the session: new network, steps ------------------------------------------------------------------------
  async function reset() {
    showError("pg-error", "");
    for (const button of document.querySelectorAll("#pg-datasets button")) {
      button.classList.toggle("active", button.dataset.dataset === settings.dataset);
    }
    $("pg-layer-count").textContent = `${settings.hidden.length} hidden layer${settings.hidden.length === 1 ? "" : "s"}`;
    const request = api("/api/playground/new", {...settings});
    resetting = request;
    try {
      const answer = await request;
      if (resetting !== request) return;  // a later change won
      data = answer; session = answer.session; state = answer;
      lossChart.clear();
      epochsPerStep = 1;
      buildNetwork();
      render();
    } catch (exc) {
      showError("pg-error", exc.message);
      pause();
    } finally {
      if (resetting === request) resetting = null;
    }
  }

  async function step(epochs) {
    if (!session) return;
    const asked = session, started = performance.now();
    try {
      const answer = await api("/api/playground/step", {session: asked, epochs});
      if (asked !== session) return;  // the network was replaced meanwhile
      state = answer;
      render();
      // Keep each request near a tenth of a second, so the pictures move smoothly at any speed.
      const took = performance.now() - started;
      if (took < 80 && epochsPerStep < 25) epochsPerStep += 1;
      if (took > 250 && epochsPerStep > 1) epochsPerStep -= 1;
      // The server trains at most max_batches_per_step batches a request.
      epochsPerStep = Math.max(1, Math.min(epochsPerStep, Math.floor(options.max_batches_per_step / answer.batches_per_epoch)));
    } catch (exc) {
      showError("pg-error", exc.message);
      pause();
    }
  }

  async function play() {
    playing = true;
    $("pg-play").innerHTML = "&#10074;&#10074; Pause";
    while (playing) {
      if (resetting) await resetting.catch(() => {});
      await step(epochsPerStep);
    }
  }

  function pause() {
    playing = false;
    $("pg-play").innerHTML = "&#9654; Play";
  }

  // -- drawing ------------------------------------------------------------------------------------------------
  function render() {
    $("pg-epoch").textContent = String(state.epoch);
    for (const [id, key, fmt] of [
      ["pg-test-loss", "test_loss", (v) => v.toFixed(3)], ["pg-train-loss", "train_loss", (v) => v.toFixed(3)],
      ["pg-test-accuracy", "test_accuracy", (v) => percent(v)], ["pg-train-accuracy", "train_accuracy", (v) => percent(v)],
    ]) {
      $(id).textContent = fmt(state[key]);
      $(id).dataset.value = state[key];
    }
    lossChart.add(0, state.epoch, state.test_loss);
    lossChart.add(1, state.epoch, state.train_loss);
    lossChart.draw();
    drawBoundary();
    drawNeurons();
  }

  function colorOf(t) { return diverging(Math.max(0, Math.min(1, t)), ...ORANGE_BLUE); }

  function drawBoundary() {
    if (!state) return;
    const canvas = $("pg-boundary"), ctx = canvas.getContext("2d");
    const block = decodeU8(state.boundary);
    const [h, w] = block.shape;
    const small = element("canvas");
    paint(small, h, w, (i) => block.bytes[i], (b) => colorOf(0.5 + (b / 255 - 0.5) * 0.8));  // paler behind the dots
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    const d = data.domain, W = canvas.width, H = canvas.height;
    const dots = (points, outline) => {
      for (const [x1, x2, label] of points) {
        ctx.beginPath();
        ctx.arc(((x1 + d) / (2 * d)) * W, ((d - x2) / (2 * d)) * H, 3.5, 0, 2 * Math.PI);
        const [r, g, b] = colorOf(label);
        ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
        ctx.fill();
        ctx.lineWidth = outline ? 1.5 : 1;
        ctx.strokeStyle = outline ? "#000" : "#fff";
        ctx.stroke();
      }
    };
    dots(data.train, false);
    if ($("pg-show-test").checked) dots(data.test, true);
  }

  // The diagram: a column of input features, one per hidden layer, and the output neuron.
  const COLUMN = 130, ROW = 56, TOP = 44, SIZE = 40, FEATURE_X = 66;  // FEATURE_X: inputs' pictures, after their labels

  function buildNetwork() {
    const box = $("pg-network");
    const nodes = [];
    const columns = [options.features, ...settings.hidden.map((n) => Array.from({length: n}, (_, i) => i)), [0]];
    const height = TOP + Math.max(...columns.map((c) => c.length)) * ROW;
    box.style.height = height + "px";
    box.style.width = (columns.length * COLUMN) + "px";
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", columns.length * COLUMN);
    svg.setAttribute("height", height);
    nodes.push(svg);
    columns.forEach((column, c) => {
      const head = element("div", "layer-head");
      head.style.left = c * COLUMN + "px"; head.style.top = "0px"; head.style.width = SIZE + 40 + "px";
      if (c === 0) head.textContent = "inputs";
      else if (c === columns.length - 1) head.textContent = "output";
      else {
        const layer = c - 1;
        const plus = element("button", null, "+"), minus = element("button", null, "−");
        plus.type = minus.type = "button";
        plus.title = "one more neuron"; minus.title = "one neuron fewer";
        plus.addEventListener("click", () => { if (settings.hidden[layer] < options.max_units) { settings.hidden[layer] += 1; reset(); } });
        minus.addEventListener("click", () => { if (settings.hidden[layer] > 1) { settings.hidden[layer] -= 1; reset(); } });
        head.append(plus, minus, element("div", null, `${settings.hidden[layer]} neuron${settings.hidden[layer] === 1 ? "" : "s"}`));
      }
      nodes.push(head);
      column.forEach((item, r) => {
        const node = element("div", "neuron");
        node.style.left = c ? c * COLUMN + 20 + "px" : "0px";
        node.style.top = TOP + r * ROW + "px";
        const canvas = element("canvas");
        canvas.dataset.column = c; canvas.dataset.row = r;
        node.append(canvas);
        if (c === 0) {
          node.classList.add("feature");
          const on = settings.features.includes(item);
          node.classList.toggle("off", !on);
          const check = element("input");
          check.type = "checkbox"; check.checked = on; check.title = "use this input feature";
          check.addEventListener("change", () => {
            const next = options.features.filter((f) => (f === item ? check.checked : settings.features.includes(f)));
            if (!next.length) { check.checked = true; showError("pg-error", "Keep at least one input feature."); return; }
            settings.features = next;
            reset();
          });
          const label = element("label", "inline");
          label.append(check, document.createTextNode(item));
          node.prepend(label);
        }
        nodes.push(node);
      });
    });
    box.replaceChildren(...nodes);
    $("pg-network-note").textContent =
      `${settings.features.length} input${settings.features.length === 1 ? "" : "s"} → ` +
      (settings.hidden.length ? settings.hidden.join(" → ") + " → " : "") + "1 (sigmoid)";
  }

  function drawNeurons() {
    const box = $("pg-network");
    // inputs: every feature's own picture (only those in use get links)
    box.querySelectorAll('canvas[data-column="0"]').forEach((canvas, r) => {
      paintNeuron(canvas, decodeU8(data.feature_maps[options.features[r]]), false, true);
    });
    state.neurons.forEach((layer, l) => {
      const last = l === state.neurons.length - 1;
      box.querySelectorAll(`canvas[data-column="${l + 1}"]`).forEach((canvas, u) => {
        if (layer[u]) paintNeuron(canvas, decodeU8(layer[u]), last);
      });
    });
    // links: SVG lines from each neuron to the next column, coloured and sized by weight
    const svg = box.querySelector("svg");
    const lines = [];
    state.weights.forEach((kernel, l) => {
      const maxAbs = Math.max(1e-6, ...kernel.flat().map(Math.abs));
      kernel.forEach((row, i) => row.forEach((weight, j) => {
        const fromRow = l === 0 ? options.features.indexOf(settings.features[i]) : i;
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", (l ? l * COLUMN + 20 : FEATURE_X) + SIZE + 2);
        line.setAttribute("y1", TOP + fromRow * ROW + SIZE / 2);
        line.setAttribute("x2", (l + 1) * COLUMN + 20);
        line.setAttribute("y2", TOP + j * ROW + SIZE / 2);
        const [r, g, b] = colorOf(weight > 0 ? 1 : 0);
        line.setAttribute("stroke", `rgb(${r}, ${g}, ${b})`);
        line.setAttribute("stroke-width", (0.5 + 5 * Math.abs(weight) / maxAbs).toFixed(2));
        line.setAttribute("stroke-opacity", "0.75");
        const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
        title.textContent = `weight ${weight.toFixed(3)}`;
        line.append(title);
        lines.push(line);
      }));
    });
    svg.replaceChildren(...lines);
  }

  // Output: p itself. Others: the sign and size of the value on the neuron's own scale; input features
  // (x1^2 reaches 36 at the corners) are squashed with tanh so that their shape shows across the square.
  function paintNeuron(canvas, block, isOutput, squash) {
    const [h, w] = block.shape;
    const scale = Math.max(Math.abs(block.min), Math.abs(block.max)) || 1;
    paint(canvas, h, w, (i) => block.bytes[i], (b) => {
      const v = valueOf(block, b) / scale;
      return colorOf(isOutput ? valueOf(block, b) : 0.5 + 0.5 * (squash ? Math.tanh(3 * v) : v));
    });
  }

  function preview(name) {
    // A sketch of each dataset for its button (the real points are drawn on the right).
    const canvas = element("canvas");
    canvas.width = canvas.height = 36;
    const ctx = canvas.getContext("2d");
    const [o, b] = [colorOf(0), colorOf(1)].map(([r, g, bl]) => `rgb(${r}, ${g}, ${bl})`);
    const dot = (x, y, c) => { ctx.fillStyle = c; ctx.fillRect(x, y, 3, 3); };
    for (let i = 0; i < 160; i++) {
      const u = (Math.sin(i * 12.9898) * 43758.5453) % 1, v = (Math.sin(i * 78.233) * 12345.678) % 1;
      const x = Math.abs(u) * 2 - 1, y = Math.abs(v) * 2 - 1;
      let cls;
      if (name === "xor") cls = x * y >= 0;
      else if (name === "circle") cls = Math.hypot(x, y) < 0.5;
      else if (name === "gauss") cls = x + y > 0;
      else { const t = i / 160, a = 1.75 * t * 2 * Math.PI + (i % 2) * Math.PI; dot(18 + 16 * t * Math.sin(a), 18 + 16 * t * Math.cos(a), i % 2 ? b : o); continue; }
      if (name === "gauss" && Math.abs(x + y) < 0.4) continue;
      dot(18 + 16 * x, 18 + 16 * y, cls ? b : o);
    }
    return canvas;
  }

  Lab.pages.playground = {
    show() { if (!options) setup().catch((exc) => showError("pg-error", exc.message)); },
    hide() { pause(); },  // no training in the background while another page is used
  };
})();
