"""Input gradient of the shipped extractor by PyTorch autograd (float64) on the ONNX file's own weights.

Fixture for src/core/activation/extractor-grad.test.ts. There is no onnx2torch here, so this is a minimal
ONNX interpreter in PyTorch covering the ops the extractor (and the grad test fixtures) use: Conv (group,
strides, dilations, asymmetric pads), Clip, Relu, Add/Sub/Mul/Div/Pow/Max/Min, Sqrt, ReduceSum/ReduceMean/
ReduceL2 (axes as attribute or input), GlobalAveragePool, MaxPool, MatMul, Gemm, Reshape, Flatten, Squeeze,
Unsqueeze, Transpose, Shape, Expand, Identity, Constant. Every value is float64 (the weights are the
file's float32 values, widened), so the reference is ~1e-12 accurate for the float32 graph it checks.

For a fixed input x (1x3xSxS, x = q / 255 with q uniform uint8, numpy seed 20240601) and a fixed upstream
u (1xD, standard normal, same generator, after x), it computes y = f(x) and gx = d sum(y * u) / dx.

Writes (default src/core/activation/__fixtures__/extractor_grad/):
  extractor_grad.json  {model_sha256, model_file, input/output names, x_dims, y_dims, layout, stats}
  extractor_grad.bin   little-endian: q uint8 [x numel], then float32 u [D], y [D], gx [x numel]
                       (offsets in the JSON's layout)
Run: /usr/bin/python3 scripts/oracles/grad_extractor_torch.py [--model public/models/extractor.onnx]
                                                              [--out DIR]
     /usr/bin/python3 scripts/oracles/grad_extractor_torch.py --validate
       (checks the interpreter against src/core/grad/__fixtures__/resnet_gem.*, whose reference comes from
        the original torch.nn module, and prints the forward of step_cnn.onnx; writes nothing)
Regenerate whenever public/models/extractor.onnx changes (the test skips, naming this command, when the
model's sha256 differs from the fixture's).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

torch.set_num_threads(1)
DT = torch.float64
SEED = 20240601


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def to_tensor(arr):
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        return torch.from_numpy(arr.astype(np.float64))
    return torch.from_numpy(arr.astype(np.int64))


def int_list(t):
    return [int(v) for v in t.reshape(-1).tolist()]


class Interpreter:
    """Evaluates an ONNX graph (ai.onnx opset 13..17 semantics) with torch ops, keeping autograd."""

    def __init__(self, model):
        self.model = model
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.consts = {i.name: to_tensor(numpy_helper.to_array(i)) for i in model.graph.initializer}
        self.ops = sorted({n.op_type for n in model.graph.node})
        missing = [o for o in self.ops if not hasattr(self, f"op_{o}")]
        if missing:
            raise NotImplementedError(f"ops not implemented: {missing}")

    def run(self, feeds):
        env = dict(self.consts)
        env.update(feeds)
        for node in self.model.graph.node:
            ins = [env[i] if i else None for i in node.input]
            outs = getattr(self, f"op_{node.op_type}")(ins, attrs(node))
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            for name, value in zip(node.output, outs):
                if name:
                    env[name] = value
        return {o.name: env[o.name] for o in self.model.graph.output}

    # --- elementwise ---
    def op_Identity(self, i, a):
        return i[0]

    def op_Constant(self, i, a):
        if "value" in a:
            return to_tensor(numpy_helper.to_array(a["value"]))
        if "value_float" in a:
            return torch.tensor(a["value_float"], dtype=DT)
        if "value_floats" in a:
            return torch.tensor(a["value_floats"], dtype=DT)
        if "value_int" in a:
            return torch.tensor(a["value_int"], dtype=torch.int64)
        if "value_ints" in a:
            return torch.tensor(a["value_ints"], dtype=torch.int64)
        raise NotImplementedError(f"Constant with {list(a)}")

    def op_Add(self, i, a):
        return i[0] + i[1]

    def op_Sub(self, i, a):
        return i[0] - i[1]

    def op_Mul(self, i, a):
        return i[0] * i[1]

    def op_Div(self, i, a):
        return i[0] / i[1]

    def op_Pow(self, i, a):
        return torch.pow(i[0], i[1])

    def op_Sqrt(self, i, a):
        return torch.sqrt(i[0])

    def op_Relu(self, i, a):
        return torch.relu(i[0])

    def op_Tanh(self, i, a):
        return torch.tanh(i[0])

    def op_Max(self, i, a):
        y = i[0]
        for t in i[1:]:
            y = torch.maximum(y, t.to(y.dtype).expand_as(y) if t.dim() == 0 else t)
        return y

    def op_Min(self, i, a):
        y = i[0]
        for t in i[1:]:
            y = torch.minimum(y, t.to(y.dtype).expand_as(y) if t.dim() == 0 else t)
        return y

    def op_Clip(self, i, a):
        x = i[0]
        lo = i[1] if len(i) > 1 and i[1] is not None else a.get("min")
        hi = i[2] if len(i) > 2 and i[2] is not None else a.get("max")
        lo = float(lo) if lo is not None else None
        hi = float(hi) if hi is not None else None
        return torch.clamp(x, min=lo, max=hi)

    # --- linear ---
    def op_Conv(self, i, a):
        x, w = i[0], i[1]
        b = i[2] if len(i) > 2 else None
        k = len(w.shape) - 2
        if k != 2:
            raise NotImplementedError("Conv: only 2-D")
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NotImplementedError("Conv: auto_pad")
        strides = a.get("strides", [1, 1])
        dil = a.get("dilations", [1, 1])
        pads = a.get("pads", [0, 0, 0, 0])  # [top, left, bottom, right]
        if pads[0] == pads[2] and pads[1] == pads[3]:
            padding = (pads[0], pads[1])
        else:
            x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
            padding = (0, 0)
        return F.conv2d(x, w, b, stride=tuple(strides), padding=padding, dilation=tuple(dil),
                        groups=a.get("group", 1))

    def op_MatMul(self, i, a):
        return torch.matmul(i[0], i[1])

    def op_Gemm(self, i, a):
        A = i[0].t() if a.get("transA", 0) else i[0]
        B = i[1].t() if a.get("transB", 0) else i[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(i) > 2 and i[2] is not None:
            y = y + a.get("beta", 1.0) * i[2]
        return y

    # --- reductions / pooling ---
    def _axes(self, i, a, x):
        axes = int_list(i[1]) if len(i) > 1 and i[1] is not None else a.get("axes")
        if axes is None or len(axes) == 0:
            if a.get("noop_with_empty_axes", 0):
                return None
            axes = list(range(x.dim()))
        return [ax % x.dim() for ax in axes]

    def op_ReduceSum(self, i, a):
        axes = self._axes(i, a, i[0])
        return i[0] if axes is None else torch.sum(i[0], dim=axes, keepdim=bool(a.get("keepdims", 1)))

    def op_ReduceMean(self, i, a):
        axes = self._axes(i, a, i[0])
        return i[0] if axes is None else torch.mean(i[0], dim=axes, keepdim=bool(a.get("keepdims", 1)))

    def op_ReduceL2(self, i, a):
        axes = self._axes(i, a, i[0])
        if axes is None:
            return i[0]
        return torch.sqrt(torch.sum(i[0] * i[0], dim=axes, keepdim=bool(a.get("keepdims", 1))))

    def op_GlobalAveragePool(self, i, a):
        return torch.mean(i[0], dim=list(range(2, i[0].dim())), keepdim=True)

    def op_MaxPool(self, i, a):
        pads = a.get("pads", [0, 0, 0, 0])
        x = i[0]
        if pads[0] == pads[2] and pads[1] == pads[3]:
            padding = (pads[0], pads[1])
        else:
            x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]), value=-float("inf"))
            padding = (0, 0)
        return F.max_pool2d(x, tuple(a["kernel_shape"]), tuple(a.get("strides", [1, 1])), padding,
                            tuple(a.get("dilations", [1, 1])), bool(a.get("ceil_mode", 0)))

    # --- shapes ---
    def op_Shape(self, i, a):
        return torch.tensor(list(i[0].shape), dtype=torch.int64)

    def op_Expand(self, i, a):
        shape = int_list(i[1])
        target = torch.broadcast_shapes(tuple(i[0].shape), tuple(shape))
        return i[0].expand(target)

    def op_Reshape(self, i, a):
        shape = int_list(i[1])
        shape = [i[0].shape[k] if (s == 0 and not a.get("allowzero", 0)) else s for k, s in enumerate(shape)]
        return i[0].reshape(shape)

    def op_Flatten(self, i, a):
        ax = a.get("axis", 1) % max(i[0].dim(), 1)
        lead = int(np.prod(i[0].shape[:ax])) if ax > 0 else 1
        return i[0].reshape(lead, -1)

    def op_Squeeze(self, i, a):
        axes = int_list(i[1]) if len(i) > 1 and i[1] is not None else a.get("axes")
        x = i[0]
        if axes is None:
            return x.squeeze()
        for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
            x = x.squeeze(ax)
        return x

    def op_Unsqueeze(self, i, a):
        axes = int_list(i[1]) if len(i) > 1 and i[1] is not None else a.get("axes")
        x = i[0]
        rank = x.dim() + len(axes)
        for ax in sorted(ax % rank for ax in axes):
            x = x.unsqueeze(ax)
        return x

    def op_Transpose(self, i, a):
        perm = a.get("perm", list(reversed(range(i[0].dim()))))
        return i[0].permute(*perm)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def static_shape(vi):
    return [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]


def gradient(interp, x, u):
    g = interp.model.graph
    inits = {i.name for i in g.initializer}
    name = next(i.name for i in g.input if i.name not in inits)
    xd = x.clone().requires_grad_(True)
    y = interp.run({name: xd})[g.output[0].name]
    (gx,) = torch.autograd.grad((y * u).sum(), xd)
    return y.detach(), gx


def validate():
    root = "src/core/grad/__fixtures__"
    meta = json.load(open(os.path.join(root, "resnet_gem.json")))
    raw = np.fromfile(os.path.join(root, "resnet_gem.f32"), dtype="<f4")
    nx, ny = int(np.prod(meta["x_dims"])), int(np.prod(meta["y_dims"]))
    x = torch.from_numpy(raw[:nx].astype(np.float64)).reshape(meta["x_dims"])
    gy = torch.from_numpy(raw[nx:nx + ny].astype(np.float64)).reshape(meta["y_dims"])
    y_ref = raw[nx + ny:nx + 2 * ny]
    gx_ref = raw[nx + 2 * ny:]
    interp = Interpreter(onnx.load(os.path.join(root, "resnet_gem.onnx")))
    y, gx = gradient(interp, x, gy)
    ey = np.abs(y.numpy().reshape(-1) - y_ref).max() / np.abs(y_ref).max()
    eg = np.abs(gx.numpy().reshape(-1) - gx_ref).max() / np.abs(gx_ref).max()
    print(f"resnet_gem (ops {interp.ops}): forward max err / max |ref| {ey:.2e}, gradient {eg:.2e}")
    assert ey < 1e-5 and eg < 1e-5, "interpreter disagrees with the torch.nn reference"
    step = Interpreter(onnx.load("src/core/activation/__fixtures__/step_cnn.onnx"))
    xs = torch.linspace(0, 1, 3 * 16 * 16, dtype=DT).reshape(1, 3, 16, 16)
    ys = step.run({"image": xs})["feature"]
    print(f"step_cnn (ops {step.ops}): f(linspace(0,1)) first 4 = {ys.reshape(-1)[:4].tolist()}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="public/models/extractor.onnx")
    p.add_argument("--out", default="src/core/activation/__fixtures__/extractor_grad")
    p.add_argument("--validate", action="store_true")
    args = p.parse_args()
    if args.validate:
        validate()
        return

    model = onnx.load(args.model)
    interp = Interpreter(model)
    g = model.graph
    inits = {i.name for i in g.initializer}
    inp = next(i for i in g.input if i.name not in inits)
    x_dims = [1] + static_shape(inp)[1:]
    y_dim = static_shape(g.output[0])[1]
    if None in x_dims or y_dim is None:
        raise SystemExit(f"need static input/output dims, got {x_dims} and {y_dim}")
    rng = np.random.default_rng(SEED)
    q = rng.integers(0, 256, size=x_dims, dtype=np.uint8)
    u = rng.standard_normal((1, y_dim)).astype(np.float32)
    x = torch.from_numpy(q.astype(np.float64) / 255.0)
    y, gx = gradient(interp, x, torch.from_numpy(u.astype(np.float64)))
    y = y.numpy().astype("<f4")
    gx = gx.numpy().astype("<f4")

    os.makedirs(args.out, exist_ok=True)
    blobs = [("x_uint8", q.reshape(-1)), ("u", u.reshape(-1).astype("<f4")), ("y", y.reshape(-1)),
             ("gx", gx.reshape(-1))]
    layout, offset = [], 0
    with open(os.path.join(args.out, "extractor_grad.bin"), "wb") as f:
        for name, arr in blobs:
            b = arr.tobytes()
            layout.append({"name": name, "dtype": "uint8" if arr.dtype == np.uint8 else "float32",
                           "offset": offset, "length": int(arr.size)})
            f.write(b)
            offset += len(b)
            pad = (-offset) % 4
            f.write(b"\0" * pad)
            offset += pad
    meta = {
        "generated_by": "/usr/bin/python3 scripts/oracles/grad_extractor_torch.py",
        "model_file": os.path.relpath(args.model),
        "model_sha256": sha256(args.model),
        "torch": torch.__version__,
        "ops": interp.ops,
        "input": inp.name,
        "output": g.output[0].name,
        "x_dims": x_dims,
        "y_dims": [1, y_dim],
        "x": f"q / 255, q = numpy.random.default_rng({SEED}).integers(0, 256, x_dims, uint8)",
        "u": "then standard_normal((1, D)) from the same generator, as float32",
        "gx": "d sum(f(x) * u) / dx, PyTorch float64 autograd on the ONNX weights",
        "layout": layout,
        "stats": {"gx_max_abs": float(np.abs(gx).max()), "gx_l2": float(np.linalg.norm(gx.astype(np.float64))),
                  "y_l2": float(np.linalg.norm(y.astype(np.float64)))},
    }
    with open(os.path.join(args.out, "extractor_grad.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}: ops {interp.ops}; |gx|max {meta['stats']['gx_max_abs']:.3e}, "
          f"|y| {meta['stats']['y_l2']:.6f}, {offset} bytes")


if __name__ == "__main__":
    sys.exit(main())
