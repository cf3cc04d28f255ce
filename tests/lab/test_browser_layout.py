"""The lab's page at a phone's and a small laptop's width, in headless chromium (see test_browser.py):
nothing wider than the window, every tab and the model picker on screen and usable, a long model
name whole in the picker's tooltip, and dataset images drawn as ink on paper, as the report draws them.

Each test saves its screenshots into its tmp_path (pytest --basetemp=DIR keeps them to look at).
"""

import time

import pytest

from tests.lab.conftest import make_run, served
from tests.lab.test_browser import By, _wait, browser  # noqa: F401  (browser: the fixture; skips without selenium)

LONG_NAME = "cnn-mnist-20260101-000000-trained-with-a-name-far-too-long-for-any-picker-lab"
PAGES = ("draw", "train", "inspect", "playground")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A live lab whose one run has a long name and a one-epoch history."""
    runs_root = tmp_path_factory.mktemp("runs")
    record = {"model": "cnn", "dataset": "mnist", "test_accuracy": 0.9607, "history": {"accuracy": [0.9]}}
    make_run(runs_root, LONG_NAME, record)
    with served(runs_root) as url:
        yield url


def _right_edge(driver, element_id) -> float:
    return driver.execute_script(f"return document.getElementById('{element_id}').getBoundingClientRect().right")


@pytest.mark.parametrize("width", [420, 600, 800])
def test_every_page_fits_the_window_and_its_header_is_reachable(browser, lab, width, tmp_path):  # noqa: F811
    browser.set_window_size(width, 900)
    try:
        for page in PAGES:
            browser.get(f"{lab}/#{page}")
            _wait(browser, lambda: browser.execute_script("return document.readyState") == "complete")
            if page in ("draw", "inspect"):
                _wait(browser, lambda: browser.find_element(By.ID, "model-select").get_attribute("value") == LONG_NAME)
            time.sleep(0.3)  # the page's own requests draw its cards
            browser.save_screenshot(str(tmp_path / f"{page}-{width}.png"))
            inner = browser.execute_script("return window.innerWidth")
            assert inner <= width
            page_width = browser.execute_script("return document.documentElement.scrollWidth")
            assert page_width <= inner, f"#{page} is {page_width} px wide in a {inner} px window"
            for tab in browser.find_elements(By.CSS_SELECTOR, "#tabs a"):
                box = tab.rect
                assert 0 <= box["x"] and box["x"] + box["width"] <= inner, f"tab {tab.text} is off screen on #{page}"
            if page in ("draw", "inspect"):
                assert _right_edge(browser, "model-select") <= inner
        # The last tab and the picker work at this width: Playground opens, and Draw shows the picker.
        browser.find_element(By.CSS_SELECTOR, "#tabs a[data-page=playground]").click()
        _wait(browser, lambda: browser.find_element(By.ID, "page-playground").is_displayed())
        browser.find_element(By.CSS_SELECTOR, "#tabs a[data-page=draw]").click()
        _wait(browser, lambda: browser.find_element(By.ID, "model-select").is_displayed())
    finally:
        browser.set_window_size(1400, 1000)


def test_a_long_model_name_is_whole_in_the_picker_tooltip(browser, lab, tmp_path):  # noqa: F811
    browser.set_window_size(420, 900)
    try:
        browser.get(f"{lab}/#inspect")
        select = browser.find_element(By.ID, "model-select")
        _wait(browser, lambda: select.get_attribute("value") == LONG_NAME)
        label = f"{LONG_NAME} (neuronio train, test accuracy 96.1%)"
        assert browser.find_element(By.CSS_SELECTOR, "#model-select option").get_attribute("title") == label
        assert select.get_attribute("title").startswith(label)
        assert select.rect["width"] >= 0.7 * 420  # on a row of its own when the window is narrow
        browser.save_screenshot(str(tmp_path / "picker-420.png"))
    finally:
        browser.set_window_size(1400, 1000)


def test_top_patches_and_thumbnails_are_ink_on_paper_as_in_the_report(browser, lab):  # noqa: F811
    from neuronio.visualize import _style

    assert _style.IMAGE_CMAP == "binary"  # the report: 0 is white paper, 1 is black ink
    browser.get(f"{lab}/#inspect")
    _wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#inspect-patches .patch-block canvas"), timeout=60)
    # The first patch of the first filter: MNIST is mostly empty paper (value 0), so most pixels are white.
    shares = browser.execute_script(
        """
        const canvas = document.querySelector('#inspect-patches .patch-block canvas');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let white = 0, black = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255) white++;
          if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0) black++;
        }
        return [white / (data.length / 4), black / (data.length / 4)];
        """
    )
    assert shares[0] > 0.3 and shares[0] > 3 * shares[1], shares


def test_a_one_epoch_history_is_ticked_in_whole_epochs(browser, lab):  # noqa: F811
    browser.get(f"{lab}/#inspect")
    chart = browser.find_element(By.ID, "inspect-history")
    _wait(browser, lambda: "Accuracy after each epoch" in browser.find_element(By.ID, "inspect-history-note").text)
    assert chart.get_attribute("data-x-ticks") == "0,1"  # the run of the fixture has one epoch
