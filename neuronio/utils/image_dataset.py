"""`image_dataset_from_directory`: a folder of images, one subfolder per class, as batches that
`fit` takes directly. Nothing is decoded until a batch is asked for.

    train, val = image_dataset_from_directory("photos", validation_split=0.2, subset="both",
                                              seed=1337, image_size=(180, 180), batch_size=32)
    model.fit(train, validation_data=val, epochs=10)

The files are found, ordered, shuffled and split exactly as Keras does (subfolders in sorted
order, files in the sorted order of a recursive walk, one NumPy RandomState(seed) shuffle, the
last `int(validation_split * n)` files for validation), so the same seed puts the same files in
the same subset. Images are resized as Keras's `ops.image.resize` (half-pixel centres, no
antialiasing) through neuronio's `Resizing`; pixels are float32 in [0, 255].
"""

import os

import numpy as np

from neuronio.callbacks.callback import _print_msg
from neuronio.models.streams import PyDataset
from neuronio.utils.image_utils import COLOR_MODES, pil_image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
LABEL_MODES = ("int", "categorical", "binary", None)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_WHO = "image_dataset_from_directory"


class ImageDataset(PyDataset):
    """The images of `file_paths` with their labels, batch by batch: `len(ds)` batches, `ds[i]`
    the i-th, `for x, y in ds`. `class_names` and `file_paths` as Keras's dataset has them.

    With `shuffle`, the samples' order changes after every epoch (a fresh permutation from a
    generator seeded once with `seed`), as Keras's training dataset is reshuffled each pass.
    """

    def __init__(self, file_paths, labels, class_names, label_mode, color_mode, batch_size, resizer, shuffle, seed):
        super().__init__()
        self.file_paths = list(file_paths)
        self.labels = None if labels is None else np.asarray(labels, dtype="int32")
        self.class_names = class_names
        self.label_mode, self.color_mode, self.batch_size = label_mode, color_mode, batch_size
        self.resizer = resizer
        self.shuffle = shuffle
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(len(self.file_paths))

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"{_WHO}: batch {index} out of range; the dataset has {len(self)}.")
        index %= len(self)
        if self.batch_size is None:
            picked = self._order[index : index + 1]
        else:
            picked = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        images = np.stack([self.load(int(i)) for i in picked])  # (B, H, W, C) float32
        labels = self._labels(picked)
        if self.batch_size is None:
            return images[0] if labels is None else (images[0], labels[0])
        return images if labels is None else (images, labels)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._order = self._rng.permutation(len(self.file_paths))

    def load(self, i: int) -> np.ndarray:
        """Image i as float32 (height, width, channels), in the dataset's colour mode and size."""
        Image = pil_image(_WHO)
        with Image.open(self.file_paths[i]) as img:
            keep = ("L", "I;16", "I") if self.color_mode == "grayscale" else (COLOR_MODES[self.color_mode],)
            if img.mode not in keep:
                img = img.convert(COLOR_MODES[self.color_mode])
            pixels = np.asarray(img, dtype="float32")
        if pixels.ndim == 2:
            pixels = pixels[..., None]
        return np.asarray(self.resizer(pixels[None]).numpy()[0], dtype="float32")

    def _labels(self, picked):
        if self.labels is None or self.label_mode is None:
            return None
        labels = self.labels[picked]
        if self.label_mode == "int":
            return labels
        if self.label_mode == "binary":
            return labels.astype("float32")[:, None]
        return np.eye(len(self.class_names), dtype="float32")[labels]  # categorical: one-hot rows

    def __repr__(self) -> str:
        return f"<ImageDataset: {len(self.file_paths)} images, {len(self)} batches, classes {self.class_names}>"


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",
    verbose=True,
):
    """Batches of images (and labels) read from `directory`, with `keras.utils`'s arguments.

    Args:
        labels: "inferred" (each subfolder is a class), None (images only), or a list of int
            labels, one per image file in the sorted order of a recursive walk.
        label_mode: "int" (int32 class indices), "categorical" (float32 one-hot), "binary"
            (float32 of shape (B, 1), exactly two classes) or None (images only).
        class_names: with labels="inferred", the subfolders to use, in the order of their indices.
        color_mode: "grayscale", "rgb" or "rgba" (1, 3 or 4 channels).
        batch_size: images per batch; None gives single images.
        image_size: (height, width) every image is resized to.
        shuffle, seed: shuffle the files (and every epoch after the first); with
            `validation_split`, the seed is required so that the subsets do not overlap.
        validation_split, subset: the fraction kept for validation, and which part to return:
            "training", "validation", or "both" (a list of the two datasets).
        interpolation: "bilinear" or "nearest" (the ones neuronio's `Resizing` implements).
        follow_links: descend into symbolically linked folders.
        crop_to_aspect_ratio, pad_to_aspect_ratio: resize without distortion by cropping the
            largest centred window, or by padding with zeros, to the target's aspect ratio.
        data_format: "channels_last" (neuronio's only image layout) or None.
        format: "tf" or "grain" as Keras accepts; both give neuronio's ImageDataset.
        verbose: print how many files and classes were found.

    Returns:
        An ImageDataset, or with subset="both" a list [training, validation].
    """
    from neuronio.layers import Resizing

    _check_arguments(labels, label_mode, class_names, color_mode, validation_split, subset, shuffle, seed,
                     crop_to_aspect_ratio, pad_to_aspect_ratio, data_format, format)  # fmt: skip
    if labels is None or label_mode is None:  # images only, as Keras: either None drops the labels
        labels, label_mode = None, None
    if seed is None:
        seed = np.random.randint(1_000_000)
    paths, indices, class_names = index_directory(directory, labels, class_names, shuffle, seed, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
            f"class_names={class_names}"
        )
    height, width = (int(v) for v in image_size)
    resizer = Resizing(height, width, interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                       pad_to_aspect_ratio=pad_to_aspect_ratio)  # fmt: skip

    def dataset(part: str, shuffled: bool) -> ImageDataset:
        part_paths, part_labels = _split(paths, indices, validation_split, part, verbose)
        if not part_paths:
            what = {"training": "training ", "validation": "validation "}.get(part, "") if subset == "both" else ""
            raise ValueError(f"No {what}images found in directory {directory}. Allowed formats: {ALLOWLIST_FORMATS}")
        return ImageDataset(part_paths, part_labels, class_names, label_mode, color_mode, batch_size, resizer,
                            shuffled, seed)  # fmt: skip

    if subset == "both":
        return [dataset("training", shuffle), dataset("validation", False)]
    return dataset(subset, shuffle)


def _check_arguments(labels, label_mode, class_names, color_mode, validation_split, subset, shuffle, seed,
                     crop, pad, data_format, format):  # fmt: skip
    if not (labels in ("inferred", None) or isinstance(labels, (list, tuple, np.ndarray))):
        raise ValueError(
            "`labels` argument should be a list/tuple of integer labels, of the same size as the number of image "
            f'files in the target directory. If you wish to infer the labels from the subdirectory names in the '
            f'target directory, pass `labels="inferred"`. If you wish to get a dataset that only contains images '
            f"(no labels), pass `labels=None`. Received: labels={labels}"
        )
    if class_names is not None and labels != "inferred":
        raise ValueError(
            f'You can only pass `class_names` if `labels="inferred"`. Received: labels={labels}, and '
            f"class_names={class_names}"
        )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if color_mode not in _CHANNELS:
        raise ValueError(
            f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: color_mode={color_mode}'
        )
    if crop and pad:
        raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be set to `True`.")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{_WHO}: neuronio's images are channels_last; received data_format={data_format!r}.")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if bool(validation_split) != bool(subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` argument, to make sure "
            "that there is no overlap between the training and validation subset."
        )


def index_directory(directory, labels, class_names, shuffle, seed, follow_links, verbose):
    """(file paths, int labels or None, class names) in Keras's order, shuffled with
    RandomState(seed) when `shuffle`."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"{_WHO}: {directory!r} is not a directory.")
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)) and
                         not d.startswith("."))  # fmt: skip
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of the target directory. "
                    f"Expected: {subdirs} (or a subset of it), but received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
    paths, found = [], []
    for index, subdir in enumerate(subdirs):
        for path in _image_files(os.path.join(directory, subdir), follow_links):
            paths.append(path)
            found.append(index)
    if labels == "inferred":
        indices, names = np.asarray(found, dtype="int32"), list(subdirs)
    elif labels is None:
        indices, names = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target directory. "
                f"len(labels) is {len(labels)} while we found {len(paths)} files in directory {directory}."
            )
        indices = np.asarray(labels, dtype="int32")
        names = [str(label) for label in sorted(set(np.asarray(labels).tolist()))]
    if verbose:
        tail = "." if names is None else f" belonging to {len(names)} classes."
        _print_msg(f"Found {len(paths)} files{tail}")
    if shuffle:
        np.random.RandomState(seed).shuffle(paths)
        if indices is not None:
            np.random.RandomState(seed).shuffle(indices)
    return paths, indices, names


def _image_files(folder: str, follow_links: bool):
    """Image files under `folder`, in the sorted order of a recursive walk."""
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(ALLOWLIST_FORMATS):
                yield os.path.join(root, name)


def _split(paths, labels, validation_split, subset, verbose):
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        if verbose:
            _print_msg(f"Using {len(paths) - n_val} files for training.")
        return paths[: len(paths) - n_val], None if labels is None else labels[: len(paths) - n_val]
    if verbose:
        _print_msg(f"Using {n_val} files for validation.")
    return paths[len(paths) - n_val :], None if labels is None else labels[len(labels) - n_val :]
