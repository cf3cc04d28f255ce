"""IMDB and Reuters from small files in Keras's exact format: the npz members, the preparation
steps worked out by hand, the SHA-256 and MD5 checks, and the refusal of any pickle that is not
plain int lists."""

import hashlib
import inspect
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from neuronio.datasets import _word_sequences, imdb, reuters
from neuronio.errors import DatasetError, FileFormatError
from tests.datasets import writers

pytestmark = pytest.mark.usefixtures("isolated")


def _object(lists):
    out = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        out[i] = item
    return out


@pytest.fixture
def imdb_file(isolated, monkeypatch):
    """A 4 + 3 review imdb.npz in the cache, with its SHA-256 taken as the expected one."""
    arrays = {
        "x_train": _object([[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]),
        "y_train": np.array([0, 1, 1, 0]),
        "x_test": _object([[2, 2], [11, 1, 3], [5]]),
        "y_test": np.array([1, 0, 1]),
    }
    digest = writers.write_word_npz(isolated / "imdb.npz", **arrays)
    monkeypatch.setattr(imdb, "NPZ_SHA256", digest)
    return arrays


def _shuffle_order(seed, *sizes):
    rng = np.random.RandomState(seed)
    orders = []
    for n in sizes:
        order = np.arange(n)
        rng.shuffle(order)
        orders.append(order)
    return orders


def test_signatures_are_keras():
    assert str(inspect.signature(imdb.load_data)) == (
        "(path='imdb.npz', num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, "
        "index_from=3, **kwargs)"
    )
    assert str(inspect.signature(reuters.load_data)) == (
        "(path='reuters.npz', num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, "
        "start_char=1, oov_char=2, index_from=3)"
    )
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"


def test_imdb_defaults_shuffle_mark_and_shift_every_review(imdb_file):
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    train_order, test_order = _shuffle_order(113, 4, 3)  # one RandomState: training set, then test set
    expected = [[1] + [w + 3 for w in imdb_file["x_train"][i]] for i in train_order]
    largest = max(max(x) for x in expected + [[1] + [w + 3 for w in x] for x in imdb_file["x_test"]])
    expected = [[w if w < largest else 2 for w in x] for x in expected]  # Keras's exclusive bound
    assert x_train.dtype == object and x_train.shape == (4,) and x_test.shape == (3,)
    assert list(x_train) == expected
    np.testing.assert_array_equal(y_train, imdb_file["y_train"][train_order])
    np.testing.assert_array_equal(y_test, imdb_file["y_test"][test_order])


def test_imdb_num_words_skip_top_oov_and_maxlen(imdb_file):
    (x_train, y_train), (x_test, _) = imdb.load_data(num_words=8, skip_top=4, maxlen=4, seed=0, start_char=None)
    train_order, _ = _shuffle_order(0, 4, 3)
    kept = [i for i in train_order if len(imdb_file["x_train"][i]) < 4]  # no start mark: raw lengths
    assert list(x_train) == [[w + 3 if 4 <= w + 3 < 8 else 2 for w in imdb_file["x_train"][i]] for i in kept]
    np.testing.assert_array_equal(y_train, imdb_file["y_train"][kept])
    (x_train, _), _ = imdb.load_data(num_words=8, oov_char=None, index_from=0, start_char=None, seed=0)
    assert list(x_train) == [[w for w in imdb_file["x_train"][i] if w < 8] for i in train_order]
    with pytest.raises(ValueError, match=r"no review is shorter than maxlen=1 in the training set"):
        imdb.load_data(maxlen=1)
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['nb_words'\].*`num_words`"):
        imdb.load_data(nb_words=10)


def test_reuters_shuffles_then_splits_by_test_split(isolated, monkeypatch, rng):
    xs, ys = writers.word_lists(rng, 10), rng.integers(0, 46, 10)
    monkeypatch.setattr(reuters, "NPZ_SHA256", writers.write_word_npz(isolated / "reuters.npz", x=xs, y=ys))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.3, num_words=20)
    (order,) = _shuffle_order(113, 10)
    expected = [[1] + [w + 3 if w + 3 < 20 else 2 for w in xs[i]] for i in order]
    assert len(x_train) == 7 and len(x_test) == 3  # int(10 * 0.7)
    assert list(x_train) + list(x_test) == expected
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), ys[order])


def test_word_index_is_checked_by_keras_md5_and_parsed(isolated, monkeypatch):
    (isolated).mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"the": 1, "movie": 2}).encode()
    (isolated / "imdb_word_index.json").write_bytes(payload)
    with pytest.raises(DatasetError, match=r"MD5 is .*, expected bfafd718b763782e994055a2d397834f"):
        imdb.get_word_index()
    monkeypatch.setattr(imdb, "WORD_INDEX_MD5", hashlib.md5(payload).hexdigest())
    assert imdb.get_word_index() == {"the": 1, "movie": 2}


def test_all_sources_failing_say_where_to_put_the_file(isolated):
    with pytest.raises(DatasetError) as info:
        imdb.load_data()
    lines = str(info.value).splitlines()
    assert lines[0] == "Could not obtain IMDB from any of its 2 sources:"
    assert lines[1] == f"  1. cache {isolated / 'imdb.npz'}: not found"
    assert lines[-1] == (
        f"To place it by hand, copy imdb.npz ({imdb.URL}, SHA-256 {imdb.NPZ_SHA256}) to {isolated / 'imdb.npz'}."
    )
    with pytest.raises(DatasetError, match=r"copy reuters_word_index.json .*MD5 4d44cc38712099c9e383dc6e5f11a921"):
        reuters.get_word_index()


def test_a_file_with_another_sha256_is_refused(imdb_file, isolated, monkeypatch):
    monkeypatch.setattr(imdb, "NPZ_SHA256", "0" * 64)
    with pytest.raises(DatasetError, match=r"SHA-256 is [0-9a-f]{64}, expected 0{64}"):
        imdb.load_data()


class _Boom:
    def __reduce__(self):
        return (print, ("code ran",))


def _npz_with_member(path, name, payload: bytes, length: int = 1):
    """An npz whose member holds a header for a (length,) object array, then `payload` (never
    unpickled here: it may be hostile)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (length,)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", header.getvalue() + payload)
    return path


@pytest.mark.parametrize(
    "element, message",
    [
        ([1, 2.5], r"element 0 of an object array is \[1, 2.5\]; only lists of ints are allowed"),
        ("text", r"element 0 of an object array is 'text'"),
        (_Boom(), r"refusing to unpickle the global builtins.print"),
    ],
)
def test_only_lists_of_ints_are_unpickled(tmp_path, capsys, element, message):
    array = np.empty(1, dtype=object)
    array[0] = element
    path = _npz_with_member(tmp_path / "bad.npz", "x", pickle.dumps(array, protocol=3))
    with pytest.raises(FileFormatError, match=message):
        _word_sequences.read_npz(path, ("x",))
    assert "code ran" not in capsys.readouterr().out


def test_npz_errors_name_the_file(tmp_path):
    path = tmp_path / "m.npz"
    writers.write_word_npz(path, x=_object([[1]]))
    with pytest.raises(FileFormatError, match=r"m.npz: not a Keras dataset npz: it lacks .*y.npy"):
        _word_sequences.read_npz(path, ("x", "y"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FileFormatError, match=r"junk.npz: not a readable npz \(BadZipFile"):
        _word_sequences.read_npz(tmp_path / "junk.npz", ("x",))
    two_d = tmp_path / "two_d.npz"
    writers.write_word_npz(two_d, x=np.ones((2, 2)), y=np.ones(2, int))
    with pytest.raises(FileFormatError, match=r"expected a 1-D object array of sequences"):
        arrays = _word_sequences.read_npz(two_d, ("x", "y"))
        _word_sequences.check_pair(arrays["x"], arrays["y"], "two_d")


def test_python2_pickles_of_the_sequences_are_read(tmp_path):
    """Keras's files date from Python 2 days: protocol 2, BINSTRING dtype codes, numpy.core names."""
    array = _object([[3, 1], [70000, 2, 9], []])
    path = _npz_with_member(tmp_path / "py2.npz", "x", writers.py2_pickle(array), length=3)
    loaded = _word_sequences.read_npz(path, ("x",))["x"]
    assert (
        loaded.dtype == object and list(loaded[:0]) == [] and [list(v) for v in loaded] == [[3, 1], [70000, 2, 9], []]
    )


def test_keras_published_files_take_the_c_unpickler_and_give_the_same_arrays(imdb_file, isolated, monkeypatch):
    """A file whose SHA-256 is Keras's published one is read by the C unpickler (its bytes are
    known); simulated here by adding the test file's digest to the published set."""
    slow = imdb.load_data(num_words=9)
    digest = hashlib.sha256((isolated / "imdb.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(_word_sequences, "PUBLISHED_SHA256", frozenset({digest}))
    calls = []
    real = _word_sequences.load_arrays
    monkeypatch.setattr(_word_sequences, "load_arrays", lambda *a, **k: calls.append(k) or real(*a, **k))
    fast = imdb.load_data(num_words=9)
    assert calls and all(call["known_content"] for call in calls)
    for (x, y), (fx, fy) in zip(slow, fast, strict=True):
        assert [list(s) for s in x] == [list(s) for s in fx]
        np.testing.assert_array_equal(y, fy)


def test_the_c_unpickler_path_refuses_globals_too(tmp_path, capsys, monkeypatch):
    array = np.empty(1, dtype=object)
    array[0] = _Boom()
    path = _npz_with_member(tmp_path / "bad.npz", "x", pickle.dumps(array, protocol=3))
    monkeypatch.setattr(_word_sequences, "PUBLISHED_SHA256", frozenset({"f" * 64}))
    with pytest.raises(FileFormatError, match=r"refusing to unpickle the global builtins.print"):
        _word_sequences.read_npz(path, ("x",), sha256="f" * 64)
    assert "code ran" not in capsys.readouterr().out
