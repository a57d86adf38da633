"""Exports a small PyTorch CNN to ONNX (opset 17) with an input/output pair, as a fixture for the
ONNX library's load / round-trip tests (src/core/onnx/__fixtures__/small_cnn.{onnx,json}).

Run with Debian's python (torch 1.13, onnx 1.12): /usr/bin/python3 scripts/oracles/onnx_export_small.py
"""
import json
import os
import sys

import torch

torch.manual_seed(0)
torch.set_num_threads(1)


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = torch.nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = torch.clamp(self.dw(y), 0, 6)
        y = torch.nn.functional.max_pool2d(y, 2)
        y = torch.flatten(y, 1)
        y = self.fc(y)
        return torch.nn.functional.normalize(y, dim=1)


def main(out_dir):
    m = Small().eval()
    with torch.no_grad():
        m.bn.running_mean.uniform_(-0.5, 0.5)
        m.bn.running_var.uniform_(0.5, 2.0)
    x = torch.rand(1, 3, 16, 16)
    path = os.path.join(out_dir, "small_cnn.onnx")
    torch.onnx.export(m, (x,), path, opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    with torch.no_grad():
        y = m(x)
    with open(os.path.join(out_dir, "small_cnn.json"), "w") as f:
        json.dump({"x_dims": list(x.shape), "x": x.flatten().tolist(), "y_dims": list(y.shape),
                   "y": y.flatten().tolist()}, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/core/onnx/__fixtures__")
