"""read_digits and `neuronio read` on the fixture images (made by scripts/make_read_eval.py --fixtures,
from MNIST test digits) with the fixture CNN (a 5,802-parameter model, 98% on MNIST's test set)."""

import csv
import json
import pathlib

import numpy as np
import pytest

from neuronio import cli
from neuronio.apps import image as image_mod
from neuronio.apps import load_reader_model, read_digits
from neuronio.apps.reader import load_lexicon
from neuronio.apps.segment import ReadError
from neuronio.errors import FileFormatError

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
LABELS = {row["file"]: row for row in csv.DictReader(open(FIXTURES / "labels.csv", newline=""))}
LEXICON = FIXTURES / "lexicon.txt"


@pytest.fixture(scope="module")
def model():
    return load_reader_model(FIXTURES / "small_cnn.keras")


def picture(name):
    return FIXTURES / name


# -- read_digits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LABELS))
def test_every_fixture_is_read_right_with_the_lexicon(model, name):
    reading = read_digits(picture(name), model=model, lexicon=LEXICON)
    assert reading.text == LABELS[name]["text"]
    assert reading.alternatives[0][0] == reading.text
    assert 0.0 < reading.alternatives[0][1] <= 1.0


@pytest.mark.parametrize("name", ["images/clean_0000.jpg", "images/clean_0001.png", "images/touching_0001.png"])
def test_clean_and_touching_strings_are_read_with_the_length_given(model, name):
    reading = read_digits(picture(name), model=model, expected_length=5)
    assert reading.text == LABELS[name]["text"]


def test_a_touching_pair_that_only_a_less_cheap_cut_separates_is_read(model):
    """touching_0000's "1" and "8" (34188) touch; with 6 cuts offered the pair was read "85" (34858)."""
    name = "images/touching_0000.png"
    reading = read_digits(picture(name), model=model, expected_length=5)
    assert LABELS[name]["touching_pair"] == "2"
    assert reading.text == "34188"
    (_, _, right_of_1, _), (left_of_8, _, _, _) = reading.boxes[2], reading.boxes[3]
    assert left_of_8 <= right_of_1 + 2  # the two digits come from one blob, cut apart


def test_a_reading_has_a_confidence_and_a_box_per_digit(model):
    name = "images/clean_0000.jpg"
    reading = read_digits(picture(name), model=model)
    assert reading.text == LABELS[name]["text"] and str(reading) == reading.text
    assert len(reading.confidences) == len(reading.boxes) == 5
    assert reading.confidence == pytest.approx(np.prod(reading.confidences))
    truth = [tuple(int(v) for v in box.split(",")) for box in LABELS[name]["boxes"].split()]
    for (x0, y0, x1, y1), (tx0, ty0, tx1, ty1) in zip(reading.boxes, truth):
        across = max(0, min(x1, tx1) - max(x0, tx0)) / (max(x1, tx1) - min(x0, tx0))
        down = max(0, min(y1, ty1) - max(y0, ty0)) / (max(y1, ty1) - min(y0, ty0))
        assert across > 0.7 and down > 0.7  # the digit's box, in the original image's pixels
    assert json.loads(json.dumps(reading.to_dict()))["text"] == reading.text


def test_arrays_pil_images_and_inverted_or_transparent_pages_read_the_same(model):
    from PIL import Image

    name = "images/clean_0001.png"
    expected = LABELS[name]["text"]
    grey = np.asarray(Image.open(picture(name)).convert("L"))
    assert read_digits(grey, model=model, expected_length=5).text == expected
    assert read_digits(255 - grey, model=model, expected_length=5).text == expected  # light ink on dark
    assert read_digits(Image.open(picture(name)), model=model, expected_length=5).text == expected
    # Dark strokes on a transparent canvas, as a drawing pad gives them.
    rgba = np.zeros((*grey.shape, 4), dtype=np.uint8)
    rgba[..., 3] = np.clip((200 - grey.astype(int)) * 2, 0, 255)
    assert read_digits(rgba, model=model, expected_length=5).text == expected


def test_a_huge_image_is_reduced_first_and_boxes_come_back_in_its_pixels(model, tmp_path, monkeypatch):
    from PIL import Image

    name = "images/clean_0001.png"
    small = Image.open(picture(name))
    big = small.resize((small.width * 12, small.height * 12), Image.BILINEAR)  # 1.3 megapixels
    big.save(tmp_path / "big.png")
    big.convert("RGB").save(tmp_path / "big.jpg", quality=90)
    monkeypatch.setattr(image_mod, "WORK_PIXELS", 300_000)  # as a 20-megapixel photo is reduced to 4
    grey, scale = image_mod.load_image(tmp_path / "big.png")
    assert grey.size <= 300_000 and scale == pytest.approx(1 / 3)  # box-averaged 3 x 3
    grey, scale = image_mod.load_image(tmp_path / "big.jpg")
    assert grey.size <= 300_000 and scale <= 0.5  # decoded at a reduced size by the JPEG decoder
    reading = read_digits(tmp_path / "big.png", model=model, expected_length=5)
    assert reading.text == LABELS[name]["text"]
    assert max(box[2] for box in reading.boxes) > small.width * 6  # boxes in the big image's pixels


def test_an_mlp_taking_784_inputs_can_read_too():
    from neuronio import layers
    from neuronio.models import Sequential

    mlp = Sequential([layers.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    reading = read_digits(picture("images/clean_0001.png"), model=mlp, expected_length=5)
    assert len(reading.text) == 5  # untrained: any digits, but the shapes fit


def test_a_model_that_is_not_an_mnist_classifier_is_refused():
    from neuronio import layers
    from neuronio.models import Sequential

    wrong = Sequential([layers.Input(shape=(32, 32, 3)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    with pytest.raises(ReadError, match=r"expects inputs of shape \(None, 32, 32, 3\).*28x28"):
        read_digits(picture("images/clean_0001.png"), model=wrong)


def test_without_a_trained_model_the_error_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path))
    with pytest.raises(ReadError, match="neuronio train"):
        read_digits(picture("images/clean_0001.png"))


def test_lexicon_files_are_checked_line_by_line(tmp_path):
    path = tmp_path / "codes.txt"
    path.write_text("# valid ZIP codes\n02418\n\n90210  # Beverly Hills\n02418\n")
    assert load_lexicon(path) == ["02418", "90210"]
    path.write_text("02418\n9021O\n")
    with pytest.raises(ReadError, match=r"Line 2 of the lexicon .* is '9021O'"):
        load_lexicon(path)
    path.write_text("# nothing\n")
    with pytest.raises(ReadError, match="holds no codes"):
        load_lexicon(path)
    with pytest.raises(ReadError, match="no code of 4 digits"):
        read_digits(picture("images/clean_0001.png"), model=object(), lexicon=["02418"], expected_length=4)


# -- bad input -----------------------------------------------------------------------------------------


def test_files_that_are_not_images_are_refused(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    data = picture("images/clean_0001.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="as an image"):
        image_mod.load_image(tmp_path / "notes.png")
    with pytest.raises(FileFormatError, match="empty"):
        image_mod.load_image(tmp_path / "empty.png")
    with pytest.raises(FileFormatError, match="truncated"):
        image_mod.load_image(tmp_path / "cut.png")
    with pytest.raises(ReadError, match="no such file"):
        image_mod.load_image(tmp_path / "missing.png")


def test_blank_and_digitless_pages_are_refused(model):
    with pytest.raises(ReadError, match="blank"):
        read_digits(np.full((60, 200), 240, dtype=np.uint8), model=model)
    ruled = np.full((60, 200), 240, dtype=np.uint8)
    ruled[30:32, 10:190] = 20  # a ruled line, no digits
    with pytest.raises(ReadError, match="No digits found"):
        read_digits(ruled, model=model)


def test_images_above_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import Image

    Image.new("L", (400, 300), 255).save(tmp_path / "poster.png")
    monkeypatch.setattr(image_mod, "MAX_PIXELS", 100_000)
    with pytest.raises(ReadError, match=r"too large to read: 400x300 pixels"):
        image_mod.load_image(tmp_path / "poster.png")


def test_images_pillow_refuses_to_open_get_the_same_advice(tmp_path, monkeypatch):
    from PIL import Image

    Image.new("L", (400, 300), 255).save(tmp_path / "poster.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50_000)  # 120,000 pixels: over twice the limit
    with pytest.raises(ReadError, match=r"too large to read: Pillow refuses .* over 100,000 pixels\. Crop it"):
        image_mod.load_image(tmp_path / "poster.png")


# -- the command ---------------------------------------------------------------------------------------


def test_the_command_prints_each_reading_and_exits_0(capsys):
    names = ["images/clean_0000.jpg", "images/touching_0001.png"]
    args = ["read", *[str(picture(n)) for n in names], "--model", str(FIXTURES / "small_cnn.keras")]
    assert cli.main([*args, "--lexicon", str(LEXICON)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[1].split()[0] for line in out] == [LABELS[n]["text"] for n in names]
    assert "confidence" in out[0]


def test_the_command_reports_bad_files_and_exits_1_but_reads_the_rest(tmp_path, capsys):
    (tmp_path / "notes.png").write_text("not a picture")
    good = str(picture("images/clean_0000.jpg"))
    code = cli.main(["read", str(tmp_path / "notes.png"), good, "--model", str(FIXTURES / "small_cnn.keras"), "--json"])
    assert code == 1
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert "as an image" in results[0]["error"]
    assert results[1]["text"] == LABELS["images/clean_0000.jpg"]["text"] and len(results[1]["digits"]) == 5
    assert "Traceback" not in captured.err


def test_the_command_without_a_model_says_to_train_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path))
    assert cli.main(["read", str(picture("images/clean_0000.jpg"))]) == 1
    assert "neuronio train" in capsys.readouterr().err


def test_the_command_refuses_a_length_below_one(capsys):
    assert cli.main(["read", str(picture("images/clean_0000.jpg")), "--length", "0"]) == 2
    assert "--length must be a positive number" in capsys.readouterr().err
