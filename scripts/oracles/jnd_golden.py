"""Golden JND map (method.md section 3) for src/core/image/jnd.test.ts, from an independent PyTorch implementation.

Run (from the repository root, after make_fixture_images.py; needs Debian's python3-torch, hence /usr/bin/python3):
    /usr/bin/python3 scripts/oracles/jnd_golden.py
Reads  src/core/image/__fixtures__/photo-64x48.png
Writes src/core/image/__fixtures__/jnd-golden.json: {width, height, h: row-major H in [0,1] units (/255)}.
Computed in float64 with F.conv2d (cross-correlation, zero padding) exactly as the reference JND module, with the
fixed gy kernel. Values are rounded to 10 decimals so the file is small and regenerates byte-identically.
"""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, 'src', 'core', 'image', '__fixtures__')

K_LUM = [[1, 1, 1, 1, 1], [1, 2, 2, 2, 1], [1, 2, 0, 2, 1], [1, 2, 2, 2, 1], [1, 1, 1, 1, 1]]
K_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
K_Y = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]


def kernel(k):
    return torch.tensor(k, dtype=torch.float64).view(1, 1, len(k), len(k))


def jnd(rgb255: torch.Tensor) -> torch.Tensor:
    """rgb255: 1x3xHxW float64 in 0..255 -> 1x1xHxW H map in 0..1."""
    y = 0.299 * rgb255[:, 0:1] + 0.587 * rgb255[:, 1:2] + 0.114 * rgb255[:, 2:3]
    bg = F.conv2d(y, kernel(K_LUM), padding=2) / 32
    la = torch.where(bg <= 127, 17 * (1 - torch.sqrt(bg / 127 + 1e-3)) + 3, 3 / 128 * (bg - 127) + 3)
    gx = F.conv2d(y, kernel(K_X), padding=1)
    gy = F.conv2d(y, kernel(K_Y), padding=1)
    g = torch.sqrt(gx**2 + gy**2)
    cm = 0.117 * 16 * g**2.4 / (g**2 + 26**2)
    return torch.clamp_min(la + cm - 0.3 * torch.minimum(la, cm), 5) / 255


def main() -> None:
    img = np.asarray(Image.open(os.path.join(FIX, 'photo-64x48.png')).convert('RGB'), dtype=np.float64)
    h, w, _ = img.shape
    x = torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).contiguous()
    hmap = jnd(x)[0, 0].numpy()
    # Sanity: the constant-image values of method.md, interior pixels.
    for value, expected in ((0, 19.4624), (128, 5.0), (255, 6.0)):
        c = jnd(torch.full((1, 3, 9, 9), float(value), dtype=torch.float64))[0, 0, 4, 4].item() * 255
        assert abs(c - expected) < 1e-4, (value, c)
    out = {
        'source': 'photo-64x48.png',
        'width': w,
        'height': h,
        'h': [round(float(v), 10) for v in hmap.reshape(-1)],
    }
    with open(os.path.join(FIX, 'jnd-golden.json'), 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
