// The Train page: settings, start/pause/stop, and the run's server-sent events drawn as they arrive.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let options = null, stream = null, state = "idle", runSettings = null, doneModel = null;
  const lossChart = new LineChart($("train-loss-chart"), [
    {name: "training (average so far this epoch)", color: "#2f6fde"}, {name: "validation", color: "#e8710a", dots: true},
  ], {xLabel: "epochs", zeroBased: true, empty: "Start a run to see its loss here"});
  const accChart = new LineChart($("train-acc-chart"), [
    {name: "training (average so far this epoch)", color: "#2f6fde"}, {name: "validation", color: "#e8710a", dots: true},
  ], {xLabel: "epochs", percent: true, empty: "and its accuracy here"});

  function fill(select, items, label) {
    select.replaceChildren(...items.map((item) => {
      const option = element("option", null, label ? label(item) : item.name || item);
      option.value = item.name || item;
      return option;
    }));
  }

  async function setup() {
    options = await api("/api/train/options");
    fill($("train-model"), options.models, (m) => m.name);
    fill($("train-dataset"), options.datasets);
    fill($("train-optimizer"), options.optimizers);
    $("train-model").value = "cnn";
    modelPicked();
    $("train-model").addEventListener("change", modelPicked);
    $("train-optimizer").addEventListener("change", optimizerPicked);
    const status = await api("/api/train/status");
    if (status.run !== null) {  // the page was reloaded: show the current (or last) run with its settings
      runSettings = status.settings;
      const fields = {model: "train-model", dataset: "train-dataset", optimizer: "train-optimizer",
        learning_rate: "train-lr", batch_size: "train-batch", epochs: "train-epochs", samples: "train-samples"};
      for (const [key, id] of Object.entries(fields)) $(id).value = String(runSettings[key]);
      $("train-model-note").textContent = options.models.find((m) => m.name === runSettings.model).description;
      setState(status.state);
      listen();
    }
  }

  function modelPicked() {
    const model = options.models.find((m) => m.name === $("train-model").value);
    $("train-model-note").textContent = model.description;
    $("train-optimizer").value = model.optimizer;
    $("train-dataset").value = model.name === "cifar-cnn" ? "cifar10" : "mnist";
    optimizerPicked();
  }

  function optimizerPicked() {
    const optimizer = options.optimizers.find((o) => o.name === $("train-optimizer").value);
    $("train-lr").value = optimizer.learning_rate;
  }

  function settings() {
    return {
      model: $("train-model").value,
      dataset: $("train-dataset").value,
      optimizer: $("train-optimizer").value,
      learning_rate: Number($("train-lr").value),
      batch_size: Number($("train-batch").value),
      epochs: Number($("train-epochs").value),
      samples: Number($("train-samples").value),
    };
  }

  // -- controls ----------------------------------------------------------------------------------------
  $("train-start").addEventListener("click", async () => {
    showError("train-error", "");
    try {
      const run = await api("/api/train/start", settings());
      runSettings = run.settings;
      setState(run.state);
      listen();
    } catch (exc) {
      showError("train-error", exc.message);
    }
  });
  $("train-pause").addEventListener("click", () => control(state === "paused" ? "resume" : "pause"));
  $("train-stop").addEventListener("click", () => control("stop"));
  $("train-open-draw").addEventListener("click", () => openModel(doneModel, "draw"));
  $("train-open-inspect").addEventListener("click", () => openModel(doneModel, "inspect"));

  async function control(action) {
    try {
      const run = await api("/api/train/" + action, {});
      setState(run.state);
    } catch (exc) {
      showError("train-error", exc.message);
    }
  }

  function setState(newState) {
    state = newState;
    const running = ["starting", "loading", "training", "paused", "evaluating"].includes(state);
    $("train-start").disabled = running;
    $("train-pause").disabled = !(state === "training" || state === "paused");
    $("train-pause").textContent = state === "paused" ? "Resume" : "Pause";
    $("train-stop").disabled = !["starting", "loading", "training", "paused"].includes(state);
    $("train-form").dataset.state = state;
  }

  function reset() {
    lossChart.clear(); accChart.clear();
    $("train-mistakes").replaceChildren();
    $("train-mistakes-count").textContent = "";
    $("train-progress").style.width = "0";
    $("train-done").classList.add("hidden");
    $("train-loss-chart").dataset.points = 0;
  }

  // -- the event stream ----------------------------------------------------------------------------------
  function listen() {
    if (stream) stream.close();
    reset();
    lossChart.options.xMin = accChart.options.xMin = runEpochs();  // the axis spans the whole run from the start
    stream = new EventSource("/api/train/events");
    stream.onmessage = (message) => handle(JSON.parse(message.data));
    stream.onerror = () => {
      if (!["starting", "loading", "training", "paused", "evaluating"].includes(state) && stream) {
        stream.close();  // the run is over: the server closed the stream on purpose
      }
    };
  }

  function handle(event) {
    if (event.state) setState(event.state);
    if (event.type === "status") {
      $("train-status").textContent = event.message;
    } else if (event.type === "batch") {
      lossChart.add(0, event.progress, event.loss);
      accChart.add(0, event.progress, event.accuracy);
      redraw();
      $("train-progress").style.width = percent(event.progress / runEpochs());
      if (state !== "paused") $("train-status").textContent =
        `Epoch ${event.epoch + 1}/${runEpochs()}, batch ${event.batch + 1}/${event.steps}: ` +
        `loss ${event.loss.toFixed(4)}, accuracy ${percent(event.accuracy)}`;
    } else if (event.type === "validation") {
      lossChart.add(1, event.progress, event.val_loss);
      accChart.add(1, event.progress, event.val_accuracy);
      redraw();
      showMistakes(event.mistakes);
    } else if (event.type === "epoch") {
      $("train-status").textContent =
        `Epoch ${event.epoch + 1}/${runEpochs()} done: loss ${event.loss.toFixed(4)}, accuracy ` +
        `${percent(event.accuracy)}; validation loss ${event.val_loss.toFixed(4)}, accuracy ${percent(event.val_accuracy)}.`;
    } else if (event.type === "done") {
      $("train-status").textContent = event.message;
      $("train-progress").style.width = "100%";
      doneModel = event.model_id;
      $("train-done").classList.remove("hidden");
      stream.close();
      loadModels().catch(() => {});
    } else if (event.type === "error") {
      showError("train-error", event.message + "\nThe server is still running; change the settings and start again.");
      $("train-status").textContent = "The run failed.";
      stream.close();
    }
  }

  function runEpochs() { return runSettings ? runSettings.epochs : 1; }

  function redraw() {
    lossChart.draw(); accChart.draw();
    $("train-loss-chart").dataset.points = lossChart.count();
  }

  function showMistakes(m) {
    $("train-mistakes-count").textContent = `${m.count} of ${m.of} validation images wrong` +
      (m.count > m.true.length ? ` (first ${m.true.length} shown)` : "");
    const images = decodeU8(m.images);
    const thumbs = m.true.map((t, i) => {
      const thumb = element("div", "thumb");
      thumb.append(imageCanvas(images, i));
      const caption = element("div");
      caption.append(document.createTextNode(`${label(t)} → `), element("b", null, label(m.predicted[i])),
        document.createTextNode(` (${percent(m.confidence[i], 0)})`));
      thumb.append(caption);
      return thumb;
    });
    $("train-mistakes").replaceChildren(...thumbs);
  }

  function label(k) {
    const names = runSettings && options.class_names[runSettings.dataset];
    return names ? names[k] : String(k);
  }

  Lab.pages.train = {
    show() {
      if (!options) setup().catch((exc) => showError("train-error", exc.message));
    },
  };
})();
