"""Writes output_N.pb for a model's test_data_set_0 with the ONNX reference evaluator.

Usage: reference_outputs.py MODEL_DIR  (reads MODEL_DIR/model.onnx and test_data_set_0/input_*.pb)
"""
import glob
import os
import sys

import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator


def main(d: str) -> None:
    model = onnx.load(os.path.join(d, "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    ds = os.path.join(d, "test_data_set_0")
    feeds = {}
    for i, _ in enumerate(sorted(glob.glob(os.path.join(ds, "input_*.pb")))):
        t = onnx.load_tensor(os.path.join(ds, f"input_{i}.pb"))
        feeds[t.name or model.graph.input[i].name] = numpy_helper.to_array(t)
    outs = ReferenceEvaluator(model).run(None, feeds)
    for i, (o, info) in enumerate(zip(outs, model.graph.output)):
        onnx.save_tensor(numpy_helper.from_array(o, info.name), os.path.join(ds, f"output_{i}.pb"))
    print(f"reference outputs: {len(outs)} written by onnx {onnx.__version__} ReferenceEvaluator")


if __name__ == "__main__":
    main(sys.argv[1])
