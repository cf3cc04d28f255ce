import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import (
    Function,
    GradientCheckError,
    GradientTape,
    Tensor,
    Variable,
    check_gradients,
    constant,
    is_recording,
    no_grad,
)
from neuronio.errors import DTypeError, NumericsError


def test_gradient_of_a_quadratic_is_exact():
    w = Variable(np.array([1.0, -2.0, 3.0], np.float32))
    with GradientTape() as tape:
        loss = ops.multiply(w, w) * 0.5
    (dw,) = tape.gradient(loss, [w])
    np.testing.assert_array_equal(dw.numpy(), [1.0, -2.0, 3.0])


def test_ten_thousand_op_chain_does_not_recurse():
    x = Variable(np.array(1.0, np.float32))
    with GradientTape() as tape:
        y = x
        for _ in range(10_000):
            y = y * 1.0
    assert tape.gradient(y, x).numpy() == 1.0


def test_a_tensor_used_twice_accumulates_both_paths():
    x = Variable(np.array(3.0))
    with GradientTape() as tape:
        y = x * x + x  # dy/dx = 2x + 1 = 7
    assert tape.gradient(y, x).numpy() == 7.0


def test_nothing_is_recorded_outside_a_tape():
    x = Variable(np.ones(2, np.float32))
    y = x * 2.0
    assert y.node is None and not is_recording()


def test_no_grad_pauses_recording_inside_a_tape():
    x = Variable(np.ones(2, np.float32))
    with GradientTape() as tape:
        with no_grad():
            y = x * 2.0
        z = x * 3.0
    assert y.node is None and z.node is not None
    assert tape.gradient(y, x) is None


def test_unconnected_sources_get_none_or_zeros():
    x = Variable(np.ones(2, np.float32))
    unused = Variable(np.ones(3, np.float32))
    with GradientTape(persistent=True) as tape:
        y = x * 2.0
    assert tape.gradient(y, [x, unused])[1] is None
    zeros = tape.gradient(y, [unused], unconnected_gradients="zero")[0]
    np.testing.assert_array_equal(zeros.numpy(), [0, 0, 0])


def test_non_persistent_tape_refuses_a_second_gradient():
    x = Variable(np.ones(2, np.float32))
    with GradientTape() as tape:
        y = x * 2.0
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape.*persistent=True"):
        tape.gradient(y, x)


def test_watch_makes_a_constant_differentiable():
    c = constant([1.0, 2.0])
    with GradientTape() as tape:
        tape.watch(c)
        y = ops.exp(c)
    np.testing.assert_allclose(tape.gradient(y, c).numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_watch_refuses_a_plain_array():
    with GradientTape() as tape:
        with pytest.raises(TypeError, match="GradientTape.watch expects a Tensor"):
            tape.watch(np.ones(2))


def test_non_trainable_variables_get_no_gradient():
    frozen = Variable(np.ones(2, np.float32), trainable=False)
    with GradientTape() as tape:
        y = frozen * 2.0
    assert tape.gradient(y, frozen) is None


def test_output_gradients_seed_the_backward_pass():
    x = Variable(np.array([1.0, 2.0], np.float32))
    with GradientTape() as tape:
        y = x * 3.0
    dx = tape.gradient(y, x, output_gradients=np.array([10.0, 100.0], np.float32))
    np.testing.assert_array_equal(dx.numpy(), [30.0, 300.0])


def test_nan_in_a_converted_input_is_reported():
    with pytest.raises(NumericsError, match=r"shape \(3,\) contains 1 NaN and 1 infinite"):
        ops.exp(np.array([1.0, np.nan, np.inf], np.float32))


def test_object_arrays_are_refused():
    with pytest.raises(DTypeError, match="dtype object"):
        constant(np.array(["a", 1], dtype=object))


def test_variable_assign_checks_the_shape():
    w = Variable(np.zeros((2, 2), np.float32), name="kernel")
    with pytest.raises(ValueError, match=r"Variable 'kernel' has shape \(2, 2\); cannot assign .* \(3,\)"):
        w.assign(np.zeros(3))


def test_gradient_check_catches_a_wrong_backward():
    class WrongSquare(Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            (x,) = self.saved
            return dy * x  # should be 2 x dy

    with pytest.raises(GradientCheckError, match="Gradient of input 0 is wrong"):
        check_gradients(lambda x: WrongSquare().apply(x), [np.array([1.0, 2.0])])
    with pytest.raises(GradientCheckError, match="direction"):
        check_gradients(lambda x: WrongSquare().apply(x), [np.array([1.0, 2.0])], mode="direction")


def test_gradient_check_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        check_gradients(lambda x: x * 2.0, [Tensor(np.ones(2, np.float32))])
