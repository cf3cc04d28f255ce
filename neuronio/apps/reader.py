"""Read a handwritten digit string (a ZIP code, say) from an image: `read_digits`.

    >>> from neuronio.apps import read_digits
    >>> reading = read_digits("envelope.png", lexicon="zip_codes.txt")    # doctest: +SKIP
    >>> reading.text, round(reading.confidence, 3)                         # doctest: +SKIP
    ('90210', 0.998)

The steps, each in its own module:
1. load the image with Pillow (PNG, JPEG, ...) as grey levels, reduced when huge       image
2. find the ink (light or dark), binarise, find components and candidate cuts        segment
3. every stretch of ink that could be one digit, normalised as MNIST's digits were     lattice, normalize
4. classified in one batch by an MNIST model (the best saved run by default)         classifier
5. the best reading: free, of a given length, or from a lexicon                       lattice
"""

import dataclasses
import os
import pathlib

import numpy as np

from neuronio.apps import lattice as lattice_mod
from neuronio.apps import segment
from neuronio.apps.classifier import classify, load_reader_model
from neuronio.apps.image import load_image
from neuronio.apps.normalize import mnist_normalize
from neuronio.apps.segment import ReadError

DIGIT_HEIGHT = (24, 80)  # digits outside this height (pixels) are rescaled to TARGET_HEIGHT
TARGET_HEIGHT = 48


@dataclasses.dataclass
class Reading:
    """What `read_digits` found.

    Attributes:
        text: the digits read, e.g. "90210".
        confidences: the classifier's probability of each digit, left to right.
        confidence: their product, the probability that the whole string is right if the
            digits' errors are independent.
        boxes: each digit's box (x0, y0, x1, y1) in the original image's pixels.
        alternatives: with a lexicon, the best codes and their share of the lexicon's
            probability (the posterior over the lexicon); else empty.
        light_ink: whether the ink was lighter than the paper.
    """

    text: str
    confidences: list
    confidence: float
    boxes: list
    alternatives: list = dataclasses.field(default_factory=list)
    light_ink: bool = False

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "digits": [
                {"digit": d, "confidence": round(c, 4), "box": list(b)}
                for d, c, b in zip(self.text, self.confidences, self.boxes)
            ],
            "alternatives": [{"text": t, "probability": round(p, 4)} for t, p in self.alternatives],
            "light_ink": self.light_ink,
        }


# -- the lexicon --------------------------------------------------------------------------------------


def load_lexicon(lexicon) -> list:
    """Valid codes from a file (one per line; blank lines and '#' comments ignored) or an iterable."""
    if isinstance(lexicon, (str, os.PathLike)):
        path = pathlib.Path(os.fspath(lexicon))
        try:
            lines = path.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ReadError(f"Cannot read the lexicon {str(path)!r}: {exc}") from None
        source = f"the lexicon {str(path)!r}"
    else:
        lines, source = [str(code) for code in lexicon], "the lexicon"
    codes = []
    for number, line in enumerate(lines, start=1):
        code = line.split("#", 1)[0].strip()
        if not code:
            continue
        if not (code.isascii() and code.isdigit()):
            raise ReadError(f"Line {number} of {source} is {code!r}; a valid code is made of digits 0-9 only.")
        codes.append(code)
    if not codes:
        raise ReadError(f"{source[0].upper()}{source[1:]} holds no codes.")
    return sorted(set(codes))


# -- reading ------------------------------------------------------------------------------------------


def read_digits(image, model=None, expected_length=None, lexicon=None, binarisation="otsu") -> Reading:
    """Read the string of handwritten digits in an image.

    Args:
        image: a path to a picture file (PNG, JPEG, ...), a PIL image, or an array. Dark ink on
            light paper or light on dark: the polarity is detected.
        model: an MNIST classifier (a loaded model or a .keras path); None uses the best MNIST run
            that `neuronio train` saved under $NEURONIO_HOME/runs.
        expected_length: if given, the reading has exactly this many digits.
        lexicon: the valid codes (a file with one per line, or a list of strings); the reading is
            the most probable of them.
        binarisation: "otsu" (one global threshold) or "adaptive" (local thresholds).

    Returns:
        A Reading: `.text`, `.confidences` (one per digit), `.confidence` (their product),
        `.boxes`, `.alternatives` (with a lexicon).

    Raises:
        ReadError (a ValueError) for a blank image, no digits, no model, or no reading that fits
        the length or lexicon; FileFormatError for a file that is not an image.
    """
    if expected_length is not None:
        if (
            isinstance(expected_length, bool)
            or not isinstance(expected_length, (int, np.integer))
            or expected_length < 1
        ):
            raise ReadError(f"expected_length must be a positive number of digits; received {expected_length!r}.")
    codes = None
    if lexicon is not None:
        codes = load_lexicon(lexicon)
        if expected_length is not None:
            codes = [c for c in codes if len(c) == expected_length]
            if not codes:
                raise ReadError(f"The lexicon has no code of {expected_length} digits.")
    grey, scale = load_image(image)
    net = load_reader_model(model)
    return read_grey(grey, net, expected_length, codes, binarisation, scale)


def read_grey(grey, model, expected_length=None, codes=None, binarisation="otsu", scale=1.0, penalties=None) -> Reading:
    """`read_digits` on an already loaded grey image and model (the benchmark calls this)."""
    page, light_ink, scale = find_page(grey, binarisation, scale)
    arcs, inks, features, probs = score_arcs(page, model)
    path, alternatives = decode(page, arcs, features, probs, penalties, expected_length, codes)
    # The result, in the original image's pixels.
    text = "".join(str(d) for _, d in path)
    confidences = [float(probs[k, d]) for k, d in path]
    boxes = []
    for k, _ in path:
        mask, y0, x0 = inks[k]
        box = (x0, y0, x0 + mask.shape[1], y0 + mask.shape[0])
        boxes.append(tuple(int(round(v / scale)) for v in box))
    return Reading(text, confidences, float(np.prod(confidences)), boxes, alternatives, light_ink)


def find_page(grey, binarisation="otsu", scale=1.0) -> tuple:
    """Ink, mask, components and cuts; the page is rescaled once if its digits are very small or
    very large. Returns (segment.Page, light_ink, scale from the original image to the page)."""
    import scipy.ndimage as ndi

    ink, light_ink = segment.ink_image(grey)
    page = segment.find_page(segment.binarise(ink, binarisation))
    if not DIGIT_HEIGHT[0] <= page.height <= DIGIT_HEIGHT[1]:
        factor = TARGET_HEIGHT / page.height
        ink = ndi.zoom(ink, factor, order=1)
        scale *= factor
        page = segment.find_page(segment.binarise(ink, binarisation))
    return page, light_ink, scale


def score_arcs(page, model) -> tuple:
    """Every candidate digit normalised as MNIST's and classified in one batch.

    Returns (arcs, inks, features, probs (n_arcs, 10)).
    """
    arcs, inks, features = lattice_mod.candidate_arcs(page)
    digits = np.stack([mnist_normalize(mask) for mask, _, _ in inks])  # (n_arcs, 28, 28)
    probs, energy = classify(model, digits)
    features["energy"] = energy if energy is not None else np.zeros(len(arcs))
    return arcs, inks, features, probs


def decode(page, arcs, features, probs, penalties=None, expected_length=None, codes=None) -> tuple:
    """The best reading: free, of `expected_length` digits, or one of `codes`.

    Returns (path [(arc index, digit)], alternatives [(code, posterior)] with a lexicon).
    """
    penalties = penalties or lattice_mod.Penalties()
    log_probs = np.log(np.maximum(probs, 1e-12)) - lattice_mod.arc_penalties(features, penalties)[:, None]
    lat = lattice_mod.Lattice(
        len(lattice_mod.nodes_of(page)),
        arcs,
        log_probs,
        lattice_mod.node_penalties(page, penalties),
        lattice_mod.skip_arcs(page, penalties),
    )
    if codes is not None:
        best, all_scores, all_codes = None, [], []
        for length in sorted({len(c) for c in codes}):
            group = [c for c in codes if len(c) == length]
            scores, path = lattice_mod.best_coded(lat, np.array([[int(ch) for ch in c] for c in group]))
            all_scores.append(scores)
            all_codes.extend(group)
            if path and (best is None or scores.max() > best[0]):
                best = (scores.max(), path)
        if best is None:
            raise ReadError("No code of the lexicon fits the digits found in the image.")
        scores = np.concatenate(all_scores)
        posterior = np.exp(scores - scores.max())
        posterior /= posterior.sum()
        order = np.argsort(-posterior, kind="stable")[:3]
        return best[1], [(all_codes[k], float(posterior[k])) for k in order if posterior[k] > 0]
    if expected_length is not None:
        _, path = lattice_mod.best_coded(lat, np.full((1, int(expected_length)), -1))
        if not path:
            raise ReadError(
                f"The ink cannot be cut into exactly {expected_length} digits (too few pieces of ink, or "
                "pieces too many and too far apart to join). Check the expected length or the image."
            )
        return path, []
    _, path = lattice_mod.best_free(lat)
    if not path:
        raise ReadError("No digits found in the image.")
    return path, []


__all__ = ["Reading", "ReadError", "load_image", "load_lexicon", "load_reader_model", "read_digits"]
