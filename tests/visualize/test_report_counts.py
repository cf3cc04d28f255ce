"""The report's numbers about the model: its weights (not its optimizer's), the deck's table rounded."""

import html
import re

import numpy as np
import pytest

from neuronio.visualize.report import _Page, _text_sections

pytest.importorskip("matplotlib")


def test_the_course_cnn_reports_its_weights_not_its_optimizers_and_rounded_shares():
    from neuronio.applications.decks import seed_cnn

    model = seed_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = np.zeros((2, 28, 28, 1), np.float32)
    model.fit(x, np.eye(10, dtype=np.float32)[:2], epochs=1, verbose=0)  # Adam now holds 2 x 1,087,106 + 2
    keras_lines = []
    model.summary(print_fn=keras_lines.append)
    assert " Total params: 3,261,320 " in "\n".join(keras_lines)  # Keras counts the optimizer: kept as is
    page = _Page()
    _text_sections(page, model)
    text = html.unescape("".join("".join(parts) for _, _, parts in page.sections))
    assert re.search(r" Total params: 1,087,106 \(", text)
    assert "Optimizer params" not in text
    assert "the optimizer's own variables (2,174,214 numbers" in text
    assert re.search(r"Conv2D +\\ / +51264 +4\.7%", text)  # 51,264 / 1,087,106 = 4.72%, not the deck's "4.0%"
    assert re.search(r"Dense +XXXXX +1025000 +94\.3%", text)
