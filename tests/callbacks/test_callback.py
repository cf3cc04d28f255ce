"""Callback, CallbackList, History and LambdaCallback: hooks, dispatch order, logs handling."""

import numpy as np
import pytest

from neuronio.callbacks import Callback, CallbackList, History, LambdaCallback, ProgbarLogger
from tests.callbacks.doubles import FakeModel

HOOKS_WITH_BATCH = [
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]
HOOKS_WITH_EPOCH = ["on_epoch_begin", "on_epoch_end"]
HOOKS_WITH_LOGS_ONLY = [
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
]


class Recorder(Callback):
    """Records (hook, args, logs) for every hook; `log` may be shared between recorders."""

    def __init__(self, name, log):
        super().__init__()
        self.name = name
        self.log = log

    def __getattribute__(self, attr):
        if attr.startswith("on_") and attr in HOOKS_WITH_BATCH + HOOKS_WITH_EPOCH + HOOKS_WITH_LOGS_ONLY:

            def record(*args, logs=None):
                if logs is None and len(args) in (1, 2) and isinstance(args[-1], dict):
                    *args, logs = args
                self.log.append((self.name, attr, tuple(args), logs))

            return record
        return super().__getattribute__(attr)


def test_every_keras_hook_exists_and_does_nothing_by_default():
    callback = Callback()
    assert callback.model is None and callback.params is None
    for hook in HOOKS_WITH_BATCH + HOOKS_WITH_EPOCH:
        assert getattr(callback, hook)(0, {"loss": 1.0}) is None
        assert getattr(callback, hook)(0) is None
    for hook in HOOKS_WITH_LOGS_ONLY:
        assert getattr(callback, hook)({"loss": 1.0}) is None
        assert getattr(callback, hook)() is None


def test_train_batch_hooks_call_the_keras2_aliases():
    calls = []

    class Keras2Style(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    callback = Keras2Style()
    callback.on_train_batch_begin(3)
    callback.on_train_batch_end(3, {"loss": 0.5})
    callback.on_test_batch_end(3, {"loss": 0.5})  # not a training batch: no alias
    assert calls == [("begin", 3, None), ("end", 3, {"loss": 0.5})]


def test_the_decks_custom_history_callback_works():
    # The course deck's AccuracyHistory: mutable default logs, `batch` as the epoch's name,
    # no __init__, reading the Keras 1 key 'acc'.
    class AccuracyHistory(Callback):
        def on_train_begin(self, logs={}):  # noqa: B006 - written as in the deck
            self.acc = []

        def on_epoch_end(self, batch, logs={}):  # noqa: B006
            self.acc.append(logs.get("acc"))

    history = AccuracyHistory()
    callbacks = CallbackList(
        [history], add_history=True, add_progbar=False, model=FakeModel(), verbose=0, epochs=2, steps=1
    )
    callbacks.on_train_begin()
    for epoch, acc in enumerate([0.9, 0.95]):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"acc": acc, "loss": 0.1})
    callbacks.on_train_end()
    assert history.acc == [0.9, 0.95]


def test_callback_list_adds_history_then_progbar_after_the_users_callbacks():
    mine = Callback()
    callbacks = CallbackList([mine], add_history=True, add_progbar=True)
    assert [type(cb) for cb in callbacks.callbacks] == [Callback, History, ProgbarLogger]
    assert list(callbacks) == callbacks.callbacks


def test_callback_list_reuses_the_users_history_and_progbar():
    history, progbar = History(), ProgbarLogger()
    model = FakeModel()
    callbacks = CallbackList([progbar, history], add_history=True, add_progbar=True, model=model)
    assert callbacks.callbacks == [progbar, history]
    assert model.history is history


def test_callback_list_sets_model_and_params_on_every_callback():
    model = FakeModel()
    members = [Callback(), [Callback(), (Callback(),)]]  # nested lists are flattened
    callbacks = CallbackList(members, add_history=True, model=model, verbose=1, epochs=3, steps=10)
    assert len(callbacks.callbacks) == 4
    for callback in callbacks.callbacks:
        assert callback.model is model
        assert callback.params == {"verbose": 1, "epochs": 3, "steps": 10}
    assert isinstance(model.history, History)


def test_callback_list_without_params_leaves_callbacks_params_alone():
    callback = Callback()
    CallbackList([callback])
    assert callback.params is None


def test_append_attaches_model_and_params():
    model = FakeModel()
    callbacks = CallbackList(model=model, verbose=2, epochs=1, steps=1)
    late = Callback()
    callbacks.append(late)
    assert callbacks.callbacks == [late] and late.model is model and late.params["verbose"] == 2


def test_callback_list_rejects_things_that_are_not_callbacks():
    with pytest.raises(TypeError, match=r"must hold Callback instances; received .*print.*LambdaCallback"):
        CallbackList([print])


def test_every_hook_reaches_every_callback_in_order():
    log = []
    callbacks = CallbackList([Recorder("a", log), Recorder("b", log)])
    for hook in HOOKS_WITH_BATCH + HOOKS_WITH_EPOCH:
        getattr(callbacks, hook)(4, {"loss": 1.0})
    for hook in HOOKS_WITH_LOGS_ONLY:
        getattr(callbacks, hook)({"loss": 1.0})
    expected = []
    for hook in HOOKS_WITH_BATCH + HOOKS_WITH_EPOCH:
        expected += [(name, hook, (4,), {"loss": 1.0}) for name in "ab"]
    for hook in HOOKS_WITH_LOGS_ONLY:
        expected += [(name, hook, (), {"loss": 1.0}) for name in "ab"]
    assert log == expected


def test_logs_are_sorted_flattened_and_made_python_floats():
    seen = []
    callbacks = CallbackList([LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs))])
    vector = np.array([1.0, 2.0])
    callbacks.on_epoch_end(
        0,
        {
            "val_loss": np.float32(0.5),
            "loss": np.array(0.25, dtype="float64"),
            "extra": {"accuracy": np.float64(0.75)},
            "per_class": vector,
            "note": "text",
            "count": np.int64(3),
        },
    )
    (logs,) = seen
    # Keras sorts the outer keys and splices a nested dict's items in at that dict's place.
    assert list(logs) == ["count", "accuracy", "loss", "note", "per_class", "val_loss"]
    assert [type(logs[k]) for k in ("accuracy", "count", "loss", "val_loss")] == [float] * 4
    assert logs["val_loss"] == 0.5 and logs["count"] == 3.0
    assert logs["per_class"] is vector and logs["note"] == "text"


def test_one_logs_dict_is_shared_so_later_callbacks_see_added_keys():
    seen = []

    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["learning_rate"] = 0.01

    callbacks = CallbackList([AddsKey(), LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))])
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert seen == [{"loss": 1.0, "learning_rate": 0.01}]


def test_epoch_hooks_get_logs_positionally_and_batch_hooks_by_keyword():
    seen = []

    class OddNames(Callback):
        def on_epoch_end(self, epoch, log):  # a user's own parameter name
            seen.append(("epoch", epoch, log))

        def on_train_begin(self, log):
            seen.append(("begin", log))

        def on_train_batch_end(self, batch, logs=None):
            seen.append(("batch", batch, logs))

    callbacks = CallbackList([OddNames()])
    callbacks.on_train_begin()
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert seen == [("begin", {}), ("batch", 0, {"loss": 1.0}), ("epoch", 0, {"loss": 1.0})]


# -- History --------------------------------------------------------------------------------------
def test_history_records_every_epoch_and_is_attached_to_the_model():
    model = FakeModel()
    callbacks = CallbackList(add_history=True, model=model, verbose=0, epochs=3, steps=5)
    history = model.history
    callbacks.on_train_begin()
    for epoch in range(1, 3):  # as with initial_epoch=1
        callbacks.on_epoch_end(epoch, {"loss": 1.0 / epoch, "val_loss": 2.0 / epoch})
    callbacks.on_train_end()
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.0]}
    assert history.epoch == [1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 5}
    assert history.model is model and model.history is history


def test_history_restarts_epochs_but_keeps_values_when_reused():
    history = History()
    history.set_model(FakeModel())
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 0.5})
    assert history.epoch == [0] and history.history == {"loss": [1.0, 0.5]}


# -- LambdaCallback -------------------------------------------------------------------------------
def test_lambda_callback_calls_the_given_functions():
    events = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, logs["loss"])),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch)),
        on_test_end=lambda logs: events.append("test_end"),
    )
    callbacks = CallbackList([callback])
    callbacks.on_train_begin()
    callbacks.on_train_batch_end(0, {"loss": 2.0})
    callbacks.on_test_end({"loss": 1.0})
    callbacks.on_epoch_end(0, {"loss": 2.0})
    callbacks.on_train_end()  # not given: the default no-op
    assert events == ["train_begin", ("batch_end", 0), "test_end", ("epoch_end", 0, 2.0)]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match=r"unknown hook names \['on_epoch_finish'\]. Valid names: .*on_epoch_end"):
        LambdaCallback(on_epoch_finish=print)
