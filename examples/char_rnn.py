"""A character-level text generator: an LSTM reads 40 characters and learns to predict the next
one, then writes new text one character at a time (the classic "char-RNN" of Karpathy's blog and
Keras's text-generation example), here on the King James Bible, a public-domain text that Debian
ships in its `bible-kjv` package.

    sudo apt-get install bible-kjv           # the text (and the `bible` program that prints it)
    python examples/char_rnn.py              # Genesis, 20 epochs, samples printed after each one
    python examples/char_rnn.py --books Gen Exo --epochs 30
    python examples/char_rnn.py --text my.txt --epochs 5   # any plain-text file instead
    python examples/char_rnn.py --max-chars 20000 --epochs 2 --units 64  # a quick look

After each epoch it prints text sampled from the model at three temperatures: 0.2 (safe and
repetitive), 0.5 and 1.0 (bolder, with more invented words).
(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import argparse
import pathlib
import shutil
import subprocess
import sys

import numpy as np

import neuronio as keras
from neuronio.layers import LSTM, Dense, Embedding, Input
from neuronio.models import Sequential

TEMPERATURES = (0.2, 0.5, 1.0)


def bible_text(books=("Gen",)) -> str:
    """The verses of the given books (Debian's `bible-kjv`: `bible -f Gen1:1-200` prints a chapter, a
    verse a line, "Ge1:1 In the beginning ..."), without the verse references, one verse per line."""
    if shutil.which("bible") is None:
        raise SystemExit(
            "The King James text comes from Debian's bible-kjv package: `sudo apt-get install bible-kjv`, "
            "or pass --text FILE with any plain-text file."
        )
    lines = []
    for book in books:
        # Chapter by chapter, until `bible` answers with another chapter (it clamps past the end).
        chapter = 1
        while True:
            command = ["bible", "-f", "-l100000", f"{book}{chapter}:1-200"]  # -l: no line wrapping
            out = subprocess.run(command, capture_output=True, text=True).stdout
            verses = [line.split(" ", 1)[1] for line in out.splitlines() if _is_verse(line, book)]
            if not verses or not _same_chapter(out, book, chapter):
                break
            lines += verses
            chapter += 1
    if not lines:
        raise SystemExit(f"`bible` printed no verses for {', '.join(books)}; check the book names (Gen, Exo, ...).")
    return "\n".join(lines) + "\n"


def _is_verse(line: str, book: str) -> bool:
    return line[:2].lower() == book[:2].lower() and ":" in line.split(" ", 1)[0] and " " in line


def _same_chapter(out: str, book: str, chapter: int) -> bool:
    """`bible` answers a chapter past the end with the book's last verses; keep only the asked one."""
    first = next((line for line in out.splitlines() if _is_verse(line, book)), "")
    reference = first.split(" ", 1)[0]  # e.g. "Ge3:1"
    return reference[2:].split(":")[0] == str(chapter)


def windows(text: str, length: int, step: int):
    """(x, y, chars): x (N, length) character ids, y (N,) the id of the character after each window."""
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text], dtype=np.int32)
    starts = np.arange(0, len(ids) - length, step)
    x = ids[starts[:, None] + np.arange(length)]  # (N, length)
    y = ids[starts + length]  # (N,)
    return x, y, chars


def sample(probabilities: np.ndarray, temperature: float, rng) -> int:
    """Draw a character id from the model's probabilities, sharpened (T < 1) or flattened (T > 1)."""
    logits = np.log(np.maximum(probabilities.astype(np.float64), 1e-12)) / temperature
    p = np.exp(logits - logits.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def generate(model, seed: str, chars: list, length: int, temperature: float, rng) -> str:
    index = {c: i for i, c in enumerate(chars)}
    window = [index[c] for c in seed]
    out = []
    for _ in range(length):
        probabilities = model.predict(np.array([window]), verbose=0)[0]
        next_id = sample(probabilities, temperature, rng)
        out.append(chars[next_id])
        window = window[1:] + [next_id]
    return "".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=pathlib.Path, help="a plain-text file (default: Debian's King James Bible)")
    parser.add_argument("--books", nargs="+", default=["Gen"], help="books of the Bible to learn (default Gen)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--length", type=int, default=40, help="characters the model reads (default 40)")
    parser.add_argument("--step", type=int, default=3, help="characters between windows (default 3)")
    parser.add_argument("--units", type=int, default=256, help="LSTM units (default 256)")
    parser.add_argument("--sample-length", type=int, default=200, help="characters written per sample")
    parser.add_argument("--max-chars", type=int, help="learn only the text's first N characters (a quick look)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    text = args.text.read_text(encoding="utf-8") if args.text else bible_text(args.books)
    text = text[: args.max_chars] if args.max_chars else text
    x, y, chars = windows(text, args.length, args.step)
    print(f"{len(text):,} characters, {len(chars)} distinct, {len(x):,} windows of {args.length}")

    model = Sequential(
        [
            Input(shape=(args.length,), dtype="int32"),
            Embedding(len(chars), 32),
            LSTM(args.units),
            Dense(len(chars), activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.005))
    model.summary()
    losses, samples = [], []

    def show_samples(epoch, logs):
        start = int(rng.integers(0, len(text) - args.length))
        seed = text[start : start + args.length]
        print(f"\n--- after epoch {epoch + 1}: seed {seed!r}")
        epoch_samples = {}
        for temperature in TEMPERATURES:
            written = generate(model, seed, chars, args.sample_length, temperature, rng)
            epoch_samples[temperature] = written
            print(f"--- temperature {temperature}:\n{seed}{written}\n")
        losses.append(logs["loss"])
        samples.append(epoch_samples)

    model.fit(
        x,
        y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=show_samples)],
    )
    return {"model": model, "losses": losses, "samples": samples, "chars": chars}


if __name__ == "__main__":
    main(sys.argv[1:])
