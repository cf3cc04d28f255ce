"""`neuronio info`: which kernel implementation each op runs here, and the process settings.

neuronio info
neuronio info --json
NEURONIO_KERNELS=numpy neuronio info
"""

import json
import os

HELP = "show which kernel implementation each op uses, and the thread settings"
DESCRIPTION = (
    "List every op that a faster kernel implementation (numba: the `fast` extra; oneDNN: the `onednn` "
    "extra) replaces, which implementation it runs for float32 and float64 under the priority list "
    "(config.kernels(), from NEURONIO_KERNELS), why any other registered implementation does not "
    "run, and the process-wide settings neuronio applies (thread pools' wait policies, numba's "
    "threading layer, the allocator). Loading an implementation compiles or opens it: the first "
    "run after installing numba takes a few seconds."
)


def configure(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the facts as JSON")


def facts() -> dict:
    import numpy as np

    from neuronio import config, optimizers  # noqa: F401 (optimizers register their update kernels)
    from neuronio.ops import _kernels

    threads = {
        name: os.environ.get(name, "(unset)")
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
    }
    try:
        import numba

        threads["numba threads"] = str(numba.get_num_threads())
    except ImportError:
        pass
    return {
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "kernels": list(config.kernels()),
        "ops": _kernels.report(),
        "process settings": config.process_settings(),
        "threads": threads,
    }


def run(args) -> int:
    info = facts()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"kernel priority: {', '.join(info['kernels'])}  (NEURONIO_KERNELS, config.set_kernels)")
    print(f"{'op':<12} {'float32':<9} {'float64':<9} registered implementations")
    for row in info["ops"]:
        registered = "; ".join(f"{name}: {state}" for name, state in row["registered"].items())
        print(f"{row['op']:<12} {row['float32']:<9} {row['float64']:<9} {registered}")
    print("ops not listed run NumPy's reference only")
    print("process settings:")
    for name, value in {**info["process settings"], **info["threads"]}.items():
        print(f"  {name}: {value}")
    print(f"numpy {info['numpy']}, {info['cpus']} CPUs")
    return 0
