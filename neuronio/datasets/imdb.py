"""IMDB movie reviews: 25,000 training and 25,000 test reviews, labelled positive (1) or negative (0),
each a list of word indices (words ranked by how often they occur), with Keras's `load_data`.

Source: Keras's `imdb.npz` (SHA-256 69664113...b9f, the hash Keras's own loader checks), cached
under `$NEURONIO_HOME/datasets/`. Its sequences are pickled object arrays; they are read without
`allow_pickle`, by an unpickler that builds arrays of int lists and nothing else
(neuronio/datasets/_word_sequences.py), so loading never runs code from the file.
"""

import numpy as np

from neuronio.datasets import _fetch, _word_sequences
from neuronio.datasets._word_sequences import limited, marked, object_array, shorter_than, shuffled

NPZ = "imdb.npz"
NPZ_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX = "imdb_word_index.json"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"
URL = _word_sequences.KERAS_BASE + NPZ
_MEMBERS = ("x_train", "y_train", "x_test", "y_test")


def load_data(
    path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3, **kwargs
):
    """Loads the IMDB dataset, prepared exactly as Keras prepares it.

    Args:
        path: where to cache the file, relative to `$NEURONIO_HOME/datasets`.
        num_words: keep the `num_words` most frequent words; rarer ones become `oov_char`.
            None keeps all (but, as in Keras, the largest index still becomes `oov_char`).
        skip_top: the most frequent words to replace by `oov_char`.
        maxlen: drop reviews of `maxlen` or more entries (start mark included).
        seed: seed of the shuffle (np.random.RandomState), training set then test set.
        start_char: put at the start of every review (None: nothing).
        oov_char: what replaces dropped words (None: they are removed).
        index_from: added to every word index, keeping 0 (padding), 1 (start), 2 (oov) free.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x are 1-D object arrays of lists of ints, y the
        labels (0 negative, 1 positive).

    Raises:
        DatasetError: when the file can be neither found nor downloaded; it says where to put it.
        ValueError: when `maxlen` leaves no review in a split.
    """
    _word_sequences.check_unknown("imdb.load_data", kwargs)
    arrays = _load_npz(path)
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train, x_test = marked(x_train, start_char, index_from), marked(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = shorter_than(maxlen, x_train, y_train)
        x_test, y_test = shorter_than(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"imdb.load_data: no review is shorter than maxlen={maxlen} in the "
                f"{'training' if not x_train else 'test'} set; increase maxlen."
            )
    xs = limited(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([np.asarray(y_train), np.asarray(y_test)])
    cut = len(x_train)
    return (object_array(xs[:cut]), labels[:cut]), (object_array(xs[cut:]), labels[cut:])


def get_word_index(path="imdb_word_index.json") -> dict[str, int]:
    """The word -> index dict of the reviews (index 1 is the most frequent word; add `index_from`
    to match `load_data`'s sequences)."""
    return _word_sequences.word_index("IMDB", WORD_INDEX, WORD_INDEX_MD5, path)


def _load_npz(path) -> dict[str, np.ndarray]:
    target = _fetch.datasets_dir() / path

    def verified(file_path):
        digest = _fetch.sha256_file(file_path)
        _fetch.check_sha256(digest, NPZ_SHA256, file_path)
        arrays = _word_sequences.read_npz(file_path, _MEMBERS, digest)
        for split in ("train", "test"):
            _word_sequences.check_pair(arrays[f"x_{split}"], arrays[f"y_{split}"], f"{file_path}: {split}")
        return arrays

    return _fetch.first_available(
        "IMDB",
        [(f"cache {target}", lambda: verified(target)), (URL, lambda: _fetch.download(URL, target, verified))],
        manual=f"To place it by hand, copy {NPZ} ({URL}, SHA-256 {NPZ_SHA256}) to {target}.",
    )
