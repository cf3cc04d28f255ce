"""RemoteMonitor (against a local HTTP server), the optimizers' use_ema and SwapEMAWeights.
Keras's numbers are compared in tests/reference/test_keras_ema_remote.py."""

import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

from neuronio import callbacks, layers, models, optimizers


@pytest.fixture
def server():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers.get("Content-Type"), self.headers.get("X-Token"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def _fit(callback, epochs=2, optimizer="sgd"):
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer, "mse")
    return model, model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=epochs, verbose=0, callbacks=[callback])


def test_remote_monitor_posts_each_epoch_as_a_form(server):
    root, received = server
    _, history = _fit(callbacks.RemoteMonitor(root=root, headers={"X-Token": "t"}))
    assert [r[0] for r in received] == ["/publish/epoch/end/"] * 2
    path, content_type, token, body = received[1]
    assert content_type == "application/x-www-form-urlencoded" and token == "t"
    sent = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert sent == {"epoch": 1, "loss": pytest.approx(history.history["loss"][1])}


def test_remote_monitor_sends_json(server):
    root, received = server
    _fit(callbacks.RemoteMonitor(root=root, path="/p", send_as_json=True), epochs=1)
    assert received[0][:2] == ("/p", "application/json") and json.loads(received[0][3])["epoch"] == 0


def test_remote_monitor_warns_when_the_server_is_away():
    with pytest.warns(UserWarning, match="could not reach the server"):
        _fit(callbacks.RemoteMonitor(root="http://127.0.0.1:9"), epochs=1)


def test_use_ema_keeps_keras_averages():
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)
    w = layers.Dense(2).add_weight(shape=(2,), initializer="ones", name="w")
    expected = [([0.9, 0.9], [0.9, 0.9]), ([0.8, 0.8], [0.85, 0.85]), ([0.775, 0.775], [0.775, 0.775]),
                ([0.675, 0.675], [0.725, 0.725])]  # fmt: skip  (Keras 3.15's values)
    for weight, average in expected:
        opt.apply([np.ones(2, "float32")], [w])
        np.testing.assert_allclose(w.numpy(), weight, rtol=1e-6)
        np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(), average, rtol=1e-6)
    names = [v.name for v in optimizers.Adam(use_ema=True).variables]
    assert names == ["iteration", "learning_rate"]


def test_adam_ema_slots_come_before_the_rules_slots():
    opt = optimizers.Adam(use_ema=True)
    w = layers.Dense(2).add_weight(shape=(2,), initializer="ones", name="w")
    opt.build([w])
    assert [v.name.rsplit("_", 1)[-1] for v in opt.variables] == [
        "iteration", "rate", "average", "momentum", "velocity"
    ]


def test_fit_ends_with_the_averaged_weights():
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    opt = optimizers.SGD(0.1, use_ema=True)
    model.compile(opt, "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, batch_size=2, verbose=0)
    for weight, average in zip(model.trainable_weights, opt._model_variables_moving_average):
        np.testing.assert_array_equal(weight.numpy(), average.numpy())


def test_swap_ema_weights_evaluates_with_the_averages():
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9)
    model.compile(opt, "mse")
    x, y = np.random.default_rng(0).normal(size=(8, 2)), np.ones((8, 1))
    seen, last = [], {}

    class Spy(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            last["weight"] = self.model.layers[0].kernel.numpy().copy()
            last["average"] = opt._model_variables_moving_average[0].numpy().copy()

        def on_test_begin(self, logs=None):
            seen.append((self.model.layers[0].kernel.numpy().copy(), opt._model_variables_moving_average[0].numpy().copy(),
                         dict(last)))  # fmt: skip

        def on_epoch_end(self, epoch, logs=None):
            np.testing.assert_array_equal(self.model.layers[0].kernel.numpy(), last["weight"])  # swapped back

    model.fit(x, y, epochs=2, batch_size=2, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.SwapEMAWeights(), Spy()])  # fmt: skip
    assert len(seen) == 2
    for kernel, slot, before in seen:
        assert not np.allclose(before["weight"], before["average"])
        np.testing.assert_array_equal(kernel, before["average"])  # evaluated with the averages
        np.testing.assert_array_equal(slot, before["weight"])  # the raw weights kept in the slot meanwhile


def test_swap_ema_weights_needs_use_ema():
    with pytest.raises(ValueError, match="SwapEMAWeights must be used when `use_ema=True`"):
        _fit(callbacks.SwapEMAWeights(), epochs=1)


def test_swap_on_epoch_lets_later_callbacks_see_the_averages():
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8)
    model.compile(opt, "mse")
    x, y = np.random.default_rng(1).normal(size=(8, 2)), np.ones((8, 1))
    averages, seen = {}, {}

    class Before(callbacks.Callback):  # runs first at epoch end: the raw weights, their averages
        def on_epoch_end(self, epoch, logs=None):
            averages[epoch] = opt._model_variables_moving_average[0].numpy().copy()

    class After(callbacks.Callback):  # placed after SwapEMAWeights, as a ModelCheckpoint would be
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = self.model.layers[0].kernel.numpy().copy()

    model.fit(x, y, epochs=3, batch_size=4, verbose=0,
              callbacks=[Before(), callbacks.SwapEMAWeights(swap_on_epoch=True), After()])  # fmt: skip
    for epoch in range(3):
        np.testing.assert_array_equal(seen[epoch], averages[epoch])
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), averages[2])  # fit ends with the averages
