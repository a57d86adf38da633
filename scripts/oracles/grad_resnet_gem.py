"""SSCD-style network fixture for the whole-network input-gradient test (src/core/grad/network.test.ts).

Architecture as SSCD's ResNet-50 descriptor: ResNet-50 trunk (bottleneck blocks [3, 4, 6, 3], 7x7/2 stem,
3x3/2 max pool, BatchNorm, ReLU), GeM pooling (p = 3, clamp 1e-6), L2 normalisation, linear projection,
L2 normalisation. Widths are reduced 16x (stem 4 channels, final 256) so the ONNX file stays small;
weights are random (BatchNorm statistics too, so BN is not the identity).

Writes to src/core/grad/__fixtures__/ (or argv[1]):
  resnet_gem.onnx  opset 17, input "x" [N, 3, H, W] (dynamic N, H, W), output "embedding" [N, 64]
  resnet_gem.json  {"x_dims", "y_dims", "arrays": ["x", "gy", "y", "gx"]}
  resnet_gem.f32   little-endian float32 arrays x, gy, y, gx concatenated in that order, where
                   y = f(x) and gx = d<gy, f(x)>/dx computed by float64 autograd on the same weights.
Run: /usr/bin/python3 scripts/oracles/grad_resnet_gem.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)

BASE = 4  # torchvision's ResNet-50 uses 64


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        cout = planes * 4
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class SscdLike(nn.Module):
    def __init__(self, dims=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, BASE, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(BASE)
        layers, cin = [], BASE
        for i, n in enumerate([3, 4, 6, 3]):
            planes = BASE * 2 ** i
            for j in range(n):
                layers.append(Bottleneck(cin, planes, 2 if (j == 0 and i > 0) else 1))
                cin = planes * 4
        self.layers = nn.Sequential(*layers)
        self.proj = nn.Linear(cin, dims)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layers(x)
        x = x.clamp(min=1e-6).pow(3).mean(dim=(-2, -1)).pow(1.0 / 3)  # GeM, p = 3
        x = F.normalize(x, dim=1)
        return F.normalize(self.proj(x), dim=1)


def main(out_dir):
    m = SscdLike().eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.1, 0.2)
    os.makedirs(out_dir, exist_ok=True)
    x = torch.rand(1, 3, 64, 64)
    torch.onnx.export(m, (x,), os.path.join(out_dir, "resnet_gem.onnx"), opset_version=17,
                      input_names=["x"], output_names=["embedding"],
                      dynamic_axes={"x": {0: "N", 2: "H", 3: "W"}, "embedding": {0: "N"}})
    md = m.double()
    xd = x.double().requires_grad_(True)
    y = md(xd)
    gy = torch.randn(y.shape, dtype=torch.float64)
    (gx,) = torch.autograd.grad((y * gy).sum(), xd)
    arrays = [x.double(), gy, y.detach(), gx]
    with open(os.path.join(out_dir, "resnet_gem.f32"), "wb") as f:
        for a in arrays:
            f.write(a.detach().numpy().astype("<f4").tobytes())
    with open(os.path.join(out_dir, "resnet_gem.json"), "w") as f:
        json.dump({"x_dims": list(x.shape), "y_dims": list(y.shape), "arrays": ["x", "gy", "y", "gx"]}, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/core/grad/__fixtures__")
