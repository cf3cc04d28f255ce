"""Make the evaluation set of `neuronio read`: images of 5-digit strings built from MNIST's TEST digits.

    python scripts/make_read_eval.py --out read_eval                  # 1,000 clean + 1,000 touching
    python scripts/make_read_eval.py --out read_dev --split dev       # the tuning set (other digits)
    python scripts/make_read_eval.py --fixtures tests/apps/fixtures   # the handful the tests read
    python scripts/make_read_eval.py --fixture-model tests/apps/fixtures/small_cnn.keras

Every digit comes from MNIST's test set, never its training set, so the classifier has not seen it.
The test set is split in two, interleaved: `dev` draws from the even-numbered test images (for tuning
the reader's constants) and `eval` from the odd-numbered ones (for the figures reported), so no
reported digit was used to tune anything. (Interleaved, because the test set's two halves differ in
difficulty: the seed CNN errs about four times as often on the first 5,000 as on the last 5,000.)

Each string is a code drawn from a lexicon of 1,000 random 5-digit codes (lexicon.txt), as ZIP codes
come from an address database. Each digit is enlarged to a random height, slanted, its stroke made
thicker or thinner, and placed with random spacing and a small vertical jitter. `clean` strings keep
every pair of digits apart (at least 2 blank pixel columns); `touching` strings have exactly one
adjacent pair whose ink touches or overlaps. The ink goes on paper with uneven lighting, texture,
Gaussian noise and specks; a quarter of the images are light ink on dark, a fifth are in colour and
a fifth are JPEG files. The ground truth is in labels.csv (file, text, kind, touching pair, ...).
"""

import argparse
import csv
import pathlib
import sys

import numpy as np

DIGITS = 5
LEXICON_SIZE = 1000
SPLITS = {"dev": slice(0, 10000, 2), "eval": slice(1, 10000, 2)}
KINDS = ("clean", "touching")


# -- one digit --------------------------------------------------------------------------------------


def render_digit(mnist_digit: np.ndarray, height: float, slant: float, stroke: float) -> np.ndarray:
    """One MNIST digit as pen ink at a new size: a float (h, w) array in [0, 1], tight to the ink.

    The 28x28 grey digit is sheared by `slant` (column shift per row, in units of height), enlarged
    so that its ink is `height` pixels tall, cut at the grey level `stroke` (low: thick strokes,
    high: thin strokes) and blurred by half a pixel, as a pen line looks once scanned.

    The cut is relative to the stroke's own peak (the brightest grey within one source pixel either
    way, or 0.5 if that is fainter): MNIST's grey levels are the anti-aliasing of thin strokes, so
    a stroke thinner than a pixel peaks at 0.3-0.5, and a cut at 0.65 of full scale erased it (a 9
    lost its loop, a 5 its top bar, a 0 half its ring: at least 4 of the 20 digits a seed CNN
    misread in the first 300 clean dev strings, cut along their true boxes, had lost a stroke so).
    Relative to its peak, every stroke is thinned in proportion and kept.
    """
    import scipy.ndimage as ndi

    grey = mnist_digit.astype(np.float64) / 255.0
    rows, cols = np.flatnonzero(grey.any(axis=1)), np.flatnonzero(grey.any(axis=0))
    grey = np.pad(grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 2)  # (h0, w0), tight + margin
    zoom = height / (rows[-1] - rows[0] + 1)
    h0, w0 = grey.shape
    h, w = int(round(h0 * zoom)), int(round(w0 * zoom + abs(slant) * h0 * zoom))
    # Italic slant: row r moves right by shift(r) = slant * (h - r) + base, so the top leans right
    # for slant > 0; base keeps every shift >= 0. Output (r, c) samples input (r, c - shift(r)) / zoom.
    base = max(0.0, -slant * h)
    matrix = np.array([[1.0 / zoom, 0.0], [slant / zoom, 1.0 / zoom]])
    centre_shift = np.array([0.0, -(slant * h + base) / zoom])
    big = ndi.affine_transform(grey, matrix, offset=centre_shift, output_shape=(h, w), order=1)
    peak = np.maximum(ndi.maximum_filter(big, size=int(round(2 * zoom)) | 1), 0.5)  # (h, w)
    pen = ndi.gaussian_filter((big > stroke * peak).astype(np.float64), 0.5)  # (h, w)
    rows, cols = np.flatnonzero(pen.max(axis=1) > 0.05), np.flatnonzero(pen.max(axis=0) > 0.05)
    pen = pen[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return np.where(pen > 0.05, pen, 0.0)


def _row_edges(mask: np.ndarray, top: int, canvas_h: int, side: str) -> np.ndarray:
    """Per canvas row, the rightmost (side='right') or leftmost ink column of a placed mask; NaN where none."""
    edges = np.full(canvas_h, np.nan)
    has = mask.any(axis=1)
    if side == "right":
        cols = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    else:
        cols = np.argmax(mask, axis=1)
    edges[top : top + mask.shape[0]][has] = cols[has]
    return edges


# -- one string --------------------------------------------------------------------------------------


def render_string(digits: list, rng: np.random.Generator, touching_pair: int | None) -> tuple:
    """Place rendered digits left to right; returns (ink (H, W) float array, boxes [(x0, y0, x1, y1)])."""
    import scipy.ndimage as ndi

    height = max(d.shape[0] for d in digits)
    tops = [int(round((height - d.shape[0]) / 2 + rng.uniform(-0.08, 0.08) * height)) for d in digits]
    lift = -min(0, *tops)
    tops = [t + lift for t in tops]
    canvas_h = max(t + d.shape[0] for t, d in zip(tops, digits))
    lefts = [0]
    for i in range(1, len(digits)):
        prev, cur = digits[i - 1] > 0.5, digits[i] > 0.5
        right = _row_edges(prev, tops[i - 1], canvas_h, "right") + lefts[i - 1]
        left = _row_edges(cur, tops[i], canvas_h, "left")
        if i - 1 == touching_pair:
            # Closest approach of the two inks when placed at x; put them 1 column apart (touching
            # through 8-neighbours), then overlap them by up to 6% of the height.
            both = ~np.isnan(right) & ~np.isnan(left)
            x = int(np.max(right[both] - left[both])) + 1 - int(rng.integers(0, int(0.06 * height) + 1))
        else:
            gap = rng.uniform(max(3.0, 0.1 * height), 0.6 * height)  # blank columns between the inks
            x = int(np.nanmax(right)) + 1 + int(round(gap)) - int(np.nanmin(left))
        lefts.append(x)
    shift = -min(lefts)
    lefts = [x + shift for x in lefts]
    canvas_w = max(x + d.shape[1] for x, d in zip(lefts, digits))
    ink = np.zeros((canvas_h, canvas_w))
    boxes = []
    for d, x, t in zip(digits, lefts, tops):
        region = ink[t : t + d.shape[0], x : x + d.shape[1]]
        np.maximum(region, d, out=region)
        boxes.append((x, t, x + d.shape[1], t + d.shape[0]))
    if touching_pair is not None:  # make sure the pair's inks really form one connected blob
        labels, _ = ndi.label(ink > 0.5, structure=np.ones((3, 3)))
        a, b = boxes[touching_pair], boxes[touching_pair + 1]
        la = set(np.unique(labels[a[1] : a[3], a[0] : a[2]])) - {0}
        lb = set(np.unique(labels[b[1] : b[3], b[0] : b[2]])) - {0}
        if not la & lb:
            return None, None
    return ink, boxes


def paper(ink: np.ndarray, rng: np.random.Generator, margin: float) -> tuple:
    """Print the ink on noisy paper; returns (uint8 image (H, W) or (H, W, 3), inverted?, colour?,
    (top, left) margins added)."""
    import scipy.ndimage as ndi

    pad = [int(rng.uniform(0.3, 1.2) * margin) for _ in range(4)]
    ink = np.pad(ink, ((pad[0], pad[1]), (pad[2], pad[3])))
    h, w = ink.shape
    background = rng.uniform(175, 250)
    ink_level = rng.uniform(0, 80)
    yy, xx = np.mgrid[0:h, 0:w]
    light = background + rng.uniform(-25, 25) * (xx / w - 0.5) + rng.uniform(-25, 25) * (yy / h - 0.5)
    texture = ndi.gaussian_filter(rng.normal(0, 1, (h, w)), 6)
    light = light + 8 * texture / (texture.std() + 1e-9)
    specks = np.zeros((h, w))
    n_specks = int(rng.integers(0, 13))
    specks[rng.integers(0, h, n_specks), rng.integers(0, w, n_specks)] = 1.0
    specks = np.clip(ndi.gaussian_filter(specks, rng.uniform(0.5, 1.0)) * 4, 0, 1)
    coverage = np.maximum(ink, specks)
    colour = rng.random() < 0.2
    if colour:  # a blue or black ballpoint on slightly yellow paper
        pen = np.array([rng.uniform(0, 60), rng.uniform(0, 80), rng.uniform(90, 200)])
        tint = np.array([1.0, 0.98, 0.92])
        page = light[..., None] * tint
        image = page + (pen - page) * coverage[..., None]
    else:
        image = light + (ink_level - light) * coverage
    image = image + rng.normal(0, rng.uniform(2, 15), image.shape)
    inverted = rng.random() < 0.25
    if inverted:
        image = 255.0 - image
    return np.clip(np.round(image), 0, 255).astype(np.uint8), inverted, colour, (pad[0], pad[2])


# -- the set -----------------------------------------------------------------------------------------


def make_lexicon(rng: np.random.Generator, size: int = LEXICON_SIZE) -> list:
    codes = rng.choice(10**DIGITS, size=size, replace=False)
    return [f"{c:0{DIGITS}d}" for c in sorted(codes)]


def make_set(out: pathlib.Path, count: int, split: str = "eval", seed: int = 0, lexicon=None, small=False) -> list:
    """Write `count` clean and `count` touching images to out/images, with out/labels.csv and out/lexicon.txt.

    `small` limits the digit height to 22-30 pixels (the test fixtures). Returns the label rows.
    """
    from PIL import Image

    from neuronio.datasets import mnist

    rng = np.random.default_rng(seed)
    _, (x_test, y_test) = mnist.load_data()
    part = SPLITS[split]
    x_part, y_part = x_test[part], y_test[part]
    pools = [np.flatnonzero(y_part == d) for d in range(10)]
    lexicon = lexicon or make_lexicon(rng)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "lexicon.txt").write_text("\n".join(lexicon) + "\n")
    rows = []
    for kind in KINDS:
        made = 0
        while made < count:
            code = lexicon[rng.integers(len(lexicon))]
            height = rng.uniform(22, 30) if small else rng.uniform(24, 56)
            slant = rng.uniform(-0.3, 0.3)
            stroke = rng.uniform(0.25, 0.65)  # the grey level the pen follows: thick .. thin
            sources = [int(rng.choice(pools[int(c)])) for c in code]
            digits = [
                render_digit(x_part[i], height * rng.uniform(0.9, 1.1), slant + rng.uniform(-0.05, 0.05), stroke)
                for i in sources
            ]
            pair = int(rng.integers(DIGITS - 1)) if kind == "touching" else None
            ink, boxes = render_string(digits, rng, pair)
            if ink is None:
                continue
            image, inverted, colour, (top, left) = paper(ink, rng, height)
            name = f"{kind}_{made:04d}." + ("jpg" if rng.random() < 0.2 else "png")
            Image.fromarray(image).save(out / "images" / name, quality=90)
            rows.append(
                {
                    "file": f"images/{name}",
                    "text": code,
                    "kind": kind,
                    "touching_pair": "" if pair is None else pair,
                    "height": round(height, 1),
                    "slant": round(slant, 3),
                    "stroke": round(stroke, 3),
                    "inverted": int(inverted),
                    "colour": int(colour),
                    "boxes": " ".join(f"{x0 + left},{y0 + top},{x1 + left},{y1 + top}" for x0, y0, x1, y1 in boxes),
                    "mnist_test_indices": " ".join(str(part.start + part.step * i) for i in sources),
                }
            )
            made += 1
    with open(out / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def read_labels(folder: pathlib.Path) -> list:
    with open(folder / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def train_fixture_model(path: pathlib.Path, epochs: int = 5) -> float:
    """The small CNN the tests read with (so they need neither MNIST nor a trained run): Conv 8 5x5 ->
    max-pool -> Conv 16 5x5 -> max-pool -> Dense 10, softmax; 5,802 parameters, Adam, seed 0.
    Returns its MNIST test accuracy."""
    import neuronio as keras
    from neuronio import layers

    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, x_test = x_train[..., None] / np.float32(255), x_test[..., None] / np.float32(255)
    model = keras.Sequential(
        [
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, (5, 5), activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(16, (5, 5), activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ],
        name="read_fixture_cnn",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=2)
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    model.save(path)
    return accuracy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder to write images/, labels.csv, lexicon.txt")
    parser.add_argument("--count", type=int, default=1000, help="images of each kind (default 1000)")
    parser.add_argument("--split", choices=sorted(SPLITS), default="eval", help="MNIST test digits to draw from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fixtures", type=pathlib.Path, help="write the tests' small fixture set here instead")
    parser.add_argument("--fixture-model", type=pathlib.Path, help="train the tests' small CNN and save it here")
    args = parser.parse_args(argv)
    if args.fixture_model:
        accuracy = train_fixture_model(args.fixture_model)
        print(f"saved {args.fixture_model} (MNIST test accuracy {accuracy:.4f})")
        return 0
    if args.fixtures:
        rows = make_set(args.fixtures, count=3, split="eval", seed=2024, small=True)
    elif args.out:
        rows = make_set(args.out, args.count, args.split, args.seed)
    else:
        parser.error("give --out DIR or --fixtures DIR")
    print(f"wrote {len(rows)} images to {args.fixtures or args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
