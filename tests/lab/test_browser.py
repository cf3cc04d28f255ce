"""The lab in a real headless browser: Debian's chromium driven by Selenium, against a live server.

Needs `apt-get install chromium chromium-driver` and `pip install 'neuronio[browser]'`; skipped
(with the reason) when either is missing. Paths can be overridden with NEURONIO_CHROMIUM and
NEURONIO_CHROMEDRIVER.
"""

import math
import os
import shutil

import pytest

from tests.lab.conftest import RUN_NAME, make_run, served

selenium = pytest.importorskip("selenium", reason="browser tests need Selenium: pip install 'neuronio[browser]'")
pytest.importorskip("flask", reason="the lab needs Flask: pip install 'neuronio[lab]'")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("NEURONIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("NEURONIO_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip(
        f"browser tests need chromium and its driver (apt-get install chromium chromium-driver); "
        f"found chromium={os.path.exists(CHROMIUM)}, chromedriver={os.path.exists(CHROMEDRIVER)}",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """The lab served by a real threaded HTTP server (as `neuronio lab` runs it) on a free port."""
    runs_root = tmp_path_factory.mktemp("runs")
    make_run(runs_root, record={"model": "cnn", "dataset": "mnist", "test_accuracy": 0.96})
    with served(runs_root) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not start: {exc.msg}")
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=20, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(), message)


def _stroke(driver, canvas, points):
    """Press the mouse at the first point (canvas pixels, 280x280), move through the rest, release."""
    half = canvas.size["width"] / 2
    actions = ActionChains(driver, duration=10)
    x, y = points[0]
    actions.move_to_element_with_offset(canvas, int(x - half), int(y - half)).click_and_hold()
    for x, y in points[1:]:
        actions.move_to_element_with_offset(canvas, int(x - half), int(y - half))
    actions.release().perform()


def _prediction(driver) -> str:
    return driver.find_element(By.ID, "draw-prediction").get_attribute("data-prediction")


def test_drawing_a_digit_with_the_mouse_shows_the_right_prediction(browser, lab_url):
    browser.get(lab_url + "/#draw")
    _wait(browser, lambda: browser.find_element(By.ID, "model-select").get_attribute("value") == RUN_NAME)
    canvas = browser.find_element(By.ID, "draw-canvas")
    _stroke(browser, canvas, [(140, 40 + 10 * i) for i in range(21)])  # a "1"
    _wait(browser, lambda: _prediction(browser) == "1", message="a drawn 1 should be read as 1")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#draw-layers .layer")) == 7  # every layer shown
    assert len(browser.find_elements(By.CSS_SELECTOR, "#draw-layers .maps canvas")) == 8 + 8 + 16 + 16
    browser.find_element(By.ID, "draw-clear").click()
    _wait(browser, lambda: _prediction(browser) == "")
    ring = [(140 + 55 * math.sin(t / 30 * 2 * math.pi), 140 - 90 * math.cos(t / 30 * 2 * math.pi)) for t in range(31)]
    _stroke(browser, canvas, ring)  # a "0"
    _wait(browser, lambda: _prediction(browser) == "0", message="a drawn 0 should be read as 0")
    _stroke(browser, canvas, [(60, 60), (220, 220)])  # a slash through it changes the answer ...
    _wait(browser, lambda: _prediction(browser) != "0")
    browser.find_element(By.ID, "draw-undo").click()  # ... and undo brings it back
    _wait(browser, lambda: _prediction(browser) == "0")


def test_bad_settings_are_explained_in_the_page(browser, lab_url):
    browser.get(lab_url + "/#train")
    _wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#train-model option"))
    rate = browser.find_element(By.ID, "train-lr")
    rate.clear()
    rate.send_keys("0")
    browser.find_element(By.ID, "train-start").click()
    error = browser.find_element(By.ID, "train-error")
    _wait(browser, lambda: "`learning_rate` must be from 1e-06 to 10; received 0" in error.text)


def test_a_short_training_run_draws_its_curve_live(browser, lab_url):
    browser.get(lab_url + "/#train")
    _wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#train-model option"))
    Select(browser.find_element(By.ID, "train-model")).select_by_value("mlp")
    Select(browser.find_element(By.ID, "train-samples")).select_by_value("6000")
    for field, value in (("train-epochs", "10"), ("train-batch", "32")):  # long enough to pause; stopped early
        browser.find_element(By.ID, field).clear()
        browser.find_element(By.ID, field).send_keys(value)
    browser.find_element(By.ID, "train-start").click()
    chart = browser.find_element(By.ID, "train-loss-chart")
    points = lambda: int(chart.get_attribute("data-points") or 0)  # noqa: E731
    _wait(browser, lambda: points() >= 3, message="the loss curve should get points while training")
    pause = browser.find_element(By.ID, "train-pause")
    pause.click()
    _wait(browser, lambda: pause.text == "Resume")
    _wait(browser, lambda: "Paused" in browser.find_element(By.ID, "train-status").text)
    paused_at = points()
    pause.click()  # resume
    _wait(browser, lambda: points() >= paused_at + 3, message="the curve should grow again after Resume")
    browser.find_element(By.ID, "train-stop").click()  # the model trained so far is evaluated and saved
    _wait(browser, lambda: browser.find_element(By.ID, "train-done").is_displayed(), timeout=60)
    assert "Stopped: test accuracy" in browser.find_element(By.ID, "train-status").text
    assert browser.find_elements(By.CSS_SELECTOR, "#train-mistakes .thumb")
    browser.find_element(By.ID, "train-open-draw").click()  # the new model opens in Draw
    _wait(browser, lambda: browser.current_url.endswith("#draw"))
    _wait(browser, lambda: browser.find_element(By.ID, "model-select").get_attribute("value").endswith("-lab"))


def test_a_crashed_run_is_reported_in_the_page(browser, lab_url, monkeypatch):
    import neuronio.utils.runs

    def broken_loader(*args, **kwargs):
        raise OSError("the disk is on fire")

    monkeypatch.setattr(neuronio.utils.runs, "load_dataset", broken_loader)  # the server runs in this process
    browser.get(lab_url + "/#train")
    _wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#train-model option"))
    browser.find_element(By.ID, "train-start").click()
    error = browser.find_element(By.ID, "train-error")
    _wait(browser, lambda: "The training run failed: OSError: the disk is on fire" in error.text)
    assert "The server is still running" in error.text
    assert not browser.find_element(By.ID, "train-start").get_attribute("disabled")


def test_the_playground_learns_xor(browser, lab_url):
    browser.get(lab_url + "/#playground")
    accuracy = browser.find_element(By.ID, "pg-test-accuracy")
    _wait(browser, lambda: accuracy.get_attribute("data-value") is not None)
    browser.find_element(By.ID, "pg-play").click()
    _wait(browser, lambda: float(accuracy.get_attribute("data-value")) > 0.95, timeout=30)
    browser.find_element(By.ID, "pg-play").click()  # pause
    assert int(browser.find_element(By.ID, "pg-epoch").text) > 0
    assert len(browser.find_elements(By.CSS_SELECTOR, "#pg-network line")) == 2 * 4 + 4 * 2 + 2 * 1
