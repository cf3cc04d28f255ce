"""Inference speed of the seed CNN: neuronio vs ONNX Runtime (on neuronio's ONNX export) vs PyTorch.

    python benchmarks/onnx_inference.py [--threads 2] [--repeats 200]

Batch 1 (latency, median of --repeats calls) and batch 128 (throughput, images/s, median of
--repeats/10 calls), every engine with the same weights and the same thread count, alternating
engines call by call so that a change in the machine's load touches all of them alike. It first
checks that the three engines give the same outputs (max abs difference printed). Needs the
`onnx` and `reference` extras.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def engines(threads: int):
    """{name: predict(x_nhwc) -> probabilities} for the same seed CNN in each engine."""
    import torch

    from benchmarks.speed import to_torch, torch_model
    from neuronio.applications import seed_cnn
    from neuronio.saving.onnx.runtime import OnnxRuntimeModel

    torch.set_num_threads(threads)
    model = seed_cnn()
    runtime = OnnxRuntimeModel(model, threads=threads)
    net, _ = torch_model("cnn")
    convs = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    denses = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    t_convs = [m for m in net if isinstance(m, torch.nn.Conv2d)]
    t_linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for ours, theirs in zip(convs, t_convs):
            theirs.weight.copy_(torch.from_numpy(ours.kernel.numpy().transpose(3, 2, 0, 1)))
            theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
        first = denses[0].kernel.numpy()  # rows in (H, W, C) order; torch flattens (C, H, W)
        c = convs[-1].filters
        hw = first.shape[0] // c
        side = int(round(hw**0.5))
        chw = first.reshape(side, side, c, -1).transpose(2, 0, 1, 3).reshape(first.shape[0], -1)
        t_linears[0].weight.copy_(torch.from_numpy(chw.T.copy()))
        t_linears[0].bias.copy_(torch.from_numpy(denses[0].bias.numpy()))
        for ours, theirs in zip(denses[1:], t_linears[1:]):
            theirs.weight.copy_(torch.from_numpy(ours.kernel.numpy().T.copy()))
            theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
    net.eval()

    def torch_predict(x):
        with torch.no_grad():
            return torch.softmax(net(to_torch(x)), dim=1).numpy()

    return {
        "neuronio": lambda x: model(x, training=False).numpy(),
        "ONNX Runtime": runtime.predict,
        "PyTorch": torch_predict,
    }


def timed(fn, x) -> float:
    started = time.perf_counter()
    fn(x)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    fns = engines(args.threads)
    rng = np.random.default_rng(0)
    x1 = rng.uniform(size=(1, 28, 28, 1)).astype(np.float32)
    x128 = rng.uniform(size=(128, 28, 28, 1)).astype(np.float32)
    reference = fns["neuronio"](x128)
    for name, fn in fns.items():
        print(f"{name}: max |difference| from neuronio on 128 images {np.abs(fn(x128) - reference).max():.2e}")
    results = {}
    for label, x, calls in (("batch 1", x1, args.repeats), ("batch 128", x128, max(args.repeats // 10, 5))):
        times = {name: [] for name in fns}
        for fn in fns.values():
            fn(x)  # warm up
        for _ in range(calls):
            for name, fn in fns.items():
                times[name].append(timed(fn, x))
        results[label] = {name: statistics.median(t) for name, t in times.items()}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"\nseed CNN inference, {args.threads} threads, {platform.processor() or platform.machine()}, commit {commit}")
    print("| engine | batch 1 latency ms | batch 128 images/s | latency vs neuronio | throughput vs neuronio |")
    print("|---|---|---|---|---|")
    base1, base128 = results["batch 1"]["neuronio"], results["batch 128"]["neuronio"]
    for name in fns:
        t1, t128 = results["batch 1"][name], results["batch 128"][name]
        print(f"| {name} | {t1 * 1e3:.3f} | {128 / t128:,.0f} | {t1 / base1:.2f}x | {base128 / t128:.2f}x |")


if __name__ == "__main__":
    main()
