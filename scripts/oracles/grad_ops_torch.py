"""Reference input gradients (float64 PyTorch autograd) for ONNX ops whose onnxruntime CPU kernels are
float32-only, so the TS tests cannot take float64 finite differences of them in onnxruntime:
Conv, ConvTranspose, AveragePool, MaxPool, GlobalAveragePool, GlobalMaxPool, HardSigmoid, HardSwish, Softplus.

Output (src/core/grad/__fixtures__/ops_torch.json):
  {"cases": [{"name", "op", "attrs": {ONNX attributes}, "inputs": [{"name", "dims", "data"}], "x" is inputs[0],
              "y_dims", "gy": [...], "gx": [...]}]}
For each case the test builds the ONNX node with these attributes and checks d<gy, y>/dx == gx.
Run: /usr/bin/python3 scripts/oracles/grad_ops_torch.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
D = torch.float64


def rnd(*shape):
    return torch.rand(*shape, dtype=D) * 2 - 1


def same_pads(size, k, s, d, upper):
    """Explicit (begin, end) pads of ONNX auto_pad SAME_UPPER / SAME_LOWER along one axis."""
    keff = d * (k - 1) + 1
    out = -(-size // s)
    total = max((out - 1) * s + keff - size, 0)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


cases = []


def add(name, op, attrs, inputs, fn):
    x = inputs[0][1].clone().requires_grad_(True)
    others = [t for _, t in inputs[1:]]
    y = fn(x, *others)
    gy = rnd(*y.shape)
    (gx,) = torch.autograd.grad((y * gy).sum(), x)
    cases.append({
        "name": name, "op": op, "attrs": attrs,
        "inputs": [{"name": n, "dims": list(t.shape), "data": t.flatten().tolist()} for n, t in inputs],
        "y_dims": list(y.shape), "gy": gy.flatten().tolist(), "gx": gx.flatten().tolist(),
    })


def conv(name, x_shape, w_shape, stride=1, pads=None, dil=1, group=1, bias=False, auto_pad=None):
    x, w = rnd(*x_shape), rnd(*w_shape)
    pads = pads or [0] * (2 * (len(x_shape) - 2))
    inputs = [("x", x), ("w", w)] + ([("b", rnd(w_shape[0]))] if bias else [])
    k = len(x_shape) - 2
    attrs = {"strides": [stride] * k, "dilations": [dil] * k, "group": group}
    if auto_pad:
        attrs["auto_pad"] = auto_pad
        pp = [same_pads(x_shape[2 + i], w_shape[2 + i], stride, dil, auto_pad == "SAME_UPPER") for i in range(k)]
        pads = [p[0] for p in pp] + [p[1] for p in pp]
    else:
        attrs["pads"] = list(pads)

    def fn(x, w, b=None):
        # F.pad takes (last-axis begin, last-axis end, previous axis ...)
        fp = []
        for i in reversed(range(k)):
            fp += [pads[i], pads[i + k]]
        f = F.conv2d if k == 2 else F.conv1d
        return f(F.pad(x, fp), w, b, stride=stride, dilation=dil, groups=group)

    add(name, "Conv", attrs, inputs, fn)


conv("Conv 3x3", (1, 3, 6, 6), (4, 3, 3, 3), pads=(1, 1, 1, 1), bias=True)
conv("Conv stride 2 asym pads", (2, 3, 7, 8), (4, 3, 3, 3), stride=2, pads=(1, 0, 0, 2))
conv("Conv 7x7 s2 p3 (ResNet stem)", (1, 3, 11, 11), (4, 3, 7, 7), stride=2, pads=(3, 3, 3, 3))
conv("Conv 1x1 s2", (1, 4, 7, 7), (6, 4, 1, 1), stride=2)
conv("Conv dilated", (1, 2, 9, 9), (3, 2, 3, 3), dil=2, pads=(2, 2, 2, 2))
conv("Conv grouped", (1, 4, 6, 6), (6, 2, 3, 3), group=2, pads=(1, 1, 1, 1))
conv("Conv depthwise s2", (1, 4, 8, 8), (4, 1, 3, 3), stride=2, group=4, pads=(1, 1, 1, 1))
conv("Conv SAME_UPPER s2", (1, 2, 7, 8), (3, 2, 3, 3), stride=2, auto_pad="SAME_UPPER")
conv("Conv SAME_LOWER s2", (1, 2, 8, 7), (3, 2, 4, 4), stride=2, auto_pad="SAME_LOWER")
conv("Conv VALID-like 1D", (2, 3, 10), (4, 3, 3), stride=3)


def conv_t(name, x_shape, w_shape, stride, pad, out_pad=0, dil=1, group=1):
    x, w = rnd(*x_shape), rnd(*w_shape)
    attrs = {"strides": [stride] * 2, "pads": [pad] * 4, "output_padding": [out_pad] * 2, "dilations": [dil] * 2,
             "group": group}
    add(name, "ConvTranspose", attrs, [("x", x), ("w", w)],
        lambda x, w: F.conv_transpose2d(x, w, stride=stride, padding=pad, output_padding=out_pad, groups=group,
                                        dilation=dil))


conv_t("ConvTranspose s2", (1, 3, 4, 5), (3, 2, 3, 3), 2, 1, out_pad=1)
conv_t("ConvTranspose grouped dilated", (1, 4, 4, 4), (4, 3, 3, 3), 1, 1, dil=2, group=2)


def pool(name, op, x_shape, k, s, pads=(0, 0, 0, 0), ceil=False, include_pad=0, dil=1):
    x = rnd(*x_shape)
    attrs = {"kernel_shape": [k, k], "strides": [s, s], "pads": list(pads), "ceil_mode": int(ceil)}
    if op == "AveragePool":
        attrs["count_include_pad"] = include_pad
        assert pads[0] == pads[2] and pads[1] == pads[3]
        fn = lambda x: F.avg_pool2d(x, k, s, (pads[0], pads[1]), ceil_mode=ceil, count_include_pad=bool(include_pad))
    else:
        attrs["dilations"] = [dil, dil]
        fp = (pads[1], pads[3], pads[0], pads[2])
        fn = lambda x: F.max_pool2d(F.pad(x, fp, value=-float("inf")), k, s, 0, dilation=dil, ceil_mode=ceil)
    add(name, op, attrs, [("x", x)], fn)


pool("AveragePool 2x2", "AveragePool", (1, 3, 6, 6), 2, 2)
pool("AveragePool 3x3 s2 p1 exclude pad", "AveragePool", (1, 2, 7, 7), 3, 2, (1, 1, 1, 1))
pool("AveragePool 3x3 s2 p1 include pad", "AveragePool", (1, 2, 7, 6), 3, 2, (1, 1, 1, 1), include_pad=1)
pool("AveragePool ceil", "AveragePool", (1, 2, 7, 7), 2, 2, ceil=True)
pool("MaxPool 3x3 s2 p1", "MaxPool", (2, 3, 9, 9), 3, 2, (1, 1, 1, 1))
pool("MaxPool ceil dilated", "MaxPool", (1, 2, 9, 8), 2, 2, ceil=True, dil=2)

x = rnd(2, 3, 4, 5)
add("GlobalAveragePool", "GlobalAveragePool", {}, [("x", x)], lambda x: x.mean((2, 3), keepdim=True))
add("GlobalMaxPool", "GlobalMaxPool", {}, [("x", rnd(2, 3, 4, 5))], lambda x: x.amax((2, 3), keepdim=True))
add("HardSigmoid", "HardSigmoid", {"alpha": 0.3, "beta": 0.4}, [("x", rnd(3, 8) * 3)],
    lambda x: torch.clamp(0.3 * x + 0.4, 0, 1))
add("HardSwish", "HardSwish", {}, [("x", rnd(3, 8) * 5)], F.hardswish)
add("Softplus", "Softplus", {}, [("x", rnd(3, 8) * 3)], F.softplus)

out = sys.argv[1] if len(sys.argv) > 1 else "src/core/grad/__fixtures__/ops_torch.json"
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"cases": cases}, f)
print(f"wrote {len(cases)} cases to {out}")
