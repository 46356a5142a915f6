"""The PyTorch side of bench/kernel-candidates.ts: times the same kernels (median ms of 30 runs
after 3 warm-ups, 2 threads) and, with --onnx DIR, writes each as a one-node ONNX model for
onnxruntime-node (exported by PyTorch itself: no `onnx` package needed).

  /usr/bin/python3 bench/kernel_candidates.py SHAPES_JSON [--onnx DIR]

SHAPES_JSON is the list kernel-candidates.ts passes: {"name", "kind": "conv"|"matmul", ...}.
Prints one JSON line: {name: ms}.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def conv_inputs(s):
    x = torch.randn(s["n"], s["c"], s["h"], s["w"])
    w = torch.randn(s["o"], s["c"], s["kh"], s["kw"])
    return x, w


def matmul_inputs(s):
    return torch.randn(s["batch"], s["m"], s["k"]), torch.randn(s["batch"], s["k"], s["n"])


def run(s, a, b):
    if s["kind"] == "conv":
        return F.conv2d(a, b, padding=s["pad"])
    return torch.bmm(a, b)


def median_ms(f, n=30):
    for _ in range(3):
        f()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[n // 2]


class One(torch.nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, a, b):
        return run(self.s, a, b)


def main():
    shapes = json.loads(sys.argv[1])
    onnx_dir = sys.argv[sys.argv.index("--onnx") + 1] if "--onnx" in sys.argv else None
    torch.set_num_threads(2)
    result = {}
    with torch.no_grad():
        for s in shapes:
            a, b = conv_inputs(s) if s["kind"] == "conv" else matmul_inputs(s)
            result[s["name"]] = median_ms(lambda: run(s, a, b))
            if onnx_dir:
                torch.onnx.export(One(s), (a, b), f"{onnx_dir}/{s['name']}.onnx", input_names=["a", "b"], output_names=["y"], opset_version=13)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
