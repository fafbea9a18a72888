"""Times ONNX Runtime on one model for `edgec bench --compare ort` (edgec embeds this file).

usage: ort_bench.py MODEL --input NAME=FILE.npy ... --iters N --warmup N --out-dir DIR

Runs on one thread (intra_op_num_threads = inter_op_num_threads = 1, sequential execution, all
graph optimisations on) to match edgec's single-threaded code. Each timed iteration is one
InferenceSession.run call (so it includes ORT's Python binding overhead, a few microseconds).
Writes DIR/out<i>.npy for each model output and prints one JSON object on stdout:
{"version", "threads", "times" (seconds per iteration), "outputs" (output names)}.
Exit code 3 when onnxruntime is not installed, 2 on bad arguments or a model ORT rejects.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import onnxruntime as ort
except ImportError:
    print("onnxruntime is not installed in this Python environment", file=sys.stderr)
    sys.exit(3)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy")
    p.add_argument("--iters", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--out-dir", required=True)
    a = p.parse_args()
    feeds = {}
    for spec in a.input:
        name, _, path = spec.partition("=")
        feeds[name] = np.load(path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
        for _ in range(a.warmup):
            sess.run(None, feeds)
        times = []
        outs = None
        for _ in range(a.iters):
            t0 = time.perf_counter()
            outs = sess.run(None, feeds)
            times.append(time.perf_counter() - t0)
        if outs is None:
            outs = sess.run(None, feeds)
    except Exception as e:  # ORT raises its own exception types
        print(f"onnxruntime failed: {e}", file=sys.stderr)
        sys.exit(2)
    names = [o.name for o in sess.get_outputs()]
    for i, o in enumerate(outs):
        np.save(os.path.join(a.out_dir, f"out{i}.npy"), np.ascontiguousarray(o))
    print(json.dumps({"version": ort.__version__, "threads": 1, "times": times, "outputs": names}))


if __name__ == "__main__":
    main()
