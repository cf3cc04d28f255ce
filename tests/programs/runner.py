"""Run Keras 3 programs in one process, each in a fresh `__main__`, against one engine.

    python tests/programs/runner.py neuronio|keras program.py ...

Prints one JSON line per program: {"program", "ok", "seconds", "error", "skipped"}. With `neuronio`,
the shim in tests/programs/shim makes `import keras` give neuronio; with `keras`, real Keras 3 runs
on the torch backend. A program that runs longer than TIMEOUT seconds is stopped and reported. A
program that needs a missing optional package raises unittest.SkipTest: reported as skipped, with
the reason, not as a failure.
"""

import json
import os
import runpy
import signal
import sys
import time
import traceback
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60


class ProgramTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ProgramTimeout(f"the program ran longer than {TIMEOUT} s")


def main(engine, programs):
    if engine == "neuronio":
        sys.path.insert(0, os.path.join(HERE, "shim"))
    else:
        os.environ["KERAS_BACKEND"] = "torch"
    warnings.simplefilter("ignore")
    import keras  # noqa: F401  (the engine's import cost is paid once, not per program)

    signal.signal(signal.SIGALRM, _alarm)
    for path in programs:
        start = time.perf_counter()
        error = skipped = None
        cwd = os.getcwd()
        try:
            keras.utils.set_random_seed(0)
            signal.alarm(TIMEOUT)
            runpy.run_path(path, run_name="__main__")
        except unittest.SkipTest as reason:
            skipped = str(reason)
        except BaseException:  # a program's SystemExit or failure is its result, not the runner's
            error = traceback.format_exc(limit=-6)
        finally:
            signal.alarm(0)
            os.chdir(cwd)
        line = {
            "program": os.path.basename(path),
            "ok": error is None,
            "seconds": round(time.perf_counter() - start, 2),
            "error": error,
            "skipped": skipped,
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
