"""Reuters newswires: 11,228 newswires in 46 topics, each a list of word indices, with Keras's
`load_data` (which splits them into training and test sets by `test_split`).

Source: Keras's `reuters.npz` (SHA-256 d6586e69...916, the hash Keras's own loader checks), read
without `allow_pickle` (neuronio/datasets/_word_sequences.py).
"""

import numpy as np

from neuronio.datasets import _fetch, _word_sequences
from neuronio.datasets._word_sequences import limited, marked, object_array, shorter_than, shuffled

NPZ = "reuters.npz"
NPZ_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX = "reuters_word_index.json"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
URL = _word_sequences.KERAS_BASE + NPZ

# The 46 topics, in label order (Keras's get_label_names).
LABEL_NAMES = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves ship "
    "cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin "
    "strategic-metal livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange pet-chem dlr "
    "gas silver wpi hog lead"
).split()


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Loads the Reuters newswire dataset, prepared and split exactly as Keras does.

    Args:
        path, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            `imdb.load_data` (the shuffle here is of all newswires, before the split).
        test_split: the fraction of newswires, after shuffling, that form the test set: the
            first int(n * (1 - test_split)) are the training set.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x are 1-D object arrays of lists of ints, y the
        topic labels 0-45 (`get_label_names()` names them).
    """
    if not 0 <= test_split <= 1:
        raise ValueError(
            f"reuters.load_data: `test_split` is a fraction in [0, 1]; received test_split={test_split!r}."
        )
    arrays = _load_npz(path)
    xs, labels = shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = marked(xs, start_char, index_from)
    if maxlen:
        xs, labels = shorter_than(maxlen, xs, labels)
    xs = limited(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (object_array(xs[:cut]), np.array(labels[:cut])), (object_array(xs[cut:]), np.array(labels[cut:]))


def get_word_index(path="reuters_word_index.json") -> dict[str, int]:
    """The word -> index dict of the newswires (add `index_from` to match `load_data`)."""
    return _word_sequences.word_index("Reuters", WORD_INDEX, WORD_INDEX_MD5, path)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, index i naming label i."""
    return tuple(LABEL_NAMES)


def _load_npz(path) -> dict[str, np.ndarray]:
    target = _fetch.datasets_dir() / path

    def verified(file_path):
        digest = _fetch.sha256_file(file_path)
        _fetch.check_sha256(digest, NPZ_SHA256, file_path)
        arrays = _word_sequences.read_npz(file_path, ("x", "y"), digest)
        _word_sequences.check_pair(arrays["x"], arrays["y"], str(file_path))
        return arrays

    return _fetch.first_available(
        "Reuters",
        [(f"cache {target}", lambda: verified(target)), (URL, lambda: _fetch.download(URL, target, verified))],
        manual=f"To place it by hand, copy {NPZ} ({URL}, SHA-256 {NPZ_SHA256}) to {target}.",
    )
