"""Golden antialiased-resize matrices and images for src/core/image/resize.test.ts, from PyTorch.

Run (from the repository root, after make_fixture_images.py; needs Debian's python3-torch, hence /usr/bin/python3):
    /usr/bin/python3 scripts/oracles/resize_golden.py
Writes src/core/image/__fixtures__/resize-golden.json:
  matrices: for each (in, out), the out x in matrix R (row-major) of
            F.interpolate(mode='bilinear', antialias=True, align_corners=False) along one axis, obtained by
            resizing the identity: resizing I_in (in x 1 columns) along H gives R itself. PyTorch's antialiased
            bilinear is PIL's triangle filter: support max(1, in/out), half-pixel centres, clipped taps
            renormalised, which is the definition resize.ts implements.
  images:   photo-64x48.png as float [0,1] NCHW resized to a few sizes with the same call (float64), stored
            row-major per channel (planar), rounded to 10 decimals.
Also writes photo-64x48-pil-<W>x<H>.png: Pillow's Image.resize(BILINEAR) of photo-64x48.png, the 8-bit
oracle for resizeRgb (Pillow rounds fixed-point 22-bit coefficients, so +-1 level differences are expected).
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
SIZES = [(4, 2), (2, 4), (5, 3), (3, 5), (7, 3), (10, 4), (6, 6), (1, 3), (3, 1), (9, 2), (13, 5), (48, 17)]
PIL_SIZES = [(24, 18), (150, 100)]  # (outW, outH): downscale, non-integer upscale
IMAGE_SIZES = [(24, 18), (96, 20), (17, 40)]  # (outW, outH): down, mixed up/down, mixed down/up


def matrix(n_in: int, n_out: int) -> np.ndarray:
    eye = torch.eye(n_in, dtype=torch.float64).view(1, 1, n_in, n_in)
    return F.interpolate(eye, size=(n_out, n_in), mode='bilinear', antialias=True, align_corners=False)[0, 0].numpy()


def r(v) -> list:
    return [round(float(x), 10) for x in np.asarray(v).reshape(-1)]


def main() -> None:
    mats = [{'in': i, 'out': o, 'm': r(matrix(i, o))} for i, o in SIZES]
    img = np.asarray(Image.open(os.path.join(FIX, 'photo-64x48.png')).convert('RGB'), dtype=np.float64) / 255
    x = torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).contiguous()
    images = []
    for ow, oh in IMAGE_SIZES:
        y = F.interpolate(x, size=(oh, ow), mode='bilinear', antialias=True, align_corners=False)
        images.append({'width': ow, 'height': oh, 'data': r(y[0].numpy())})
    pil = Image.open(os.path.join(FIX, 'photo-64x48.png')).convert('RGB')
    for ow, oh in PIL_SIZES:
        pil.resize((ow, oh), Image.BILINEAR).save(os.path.join(FIX, f'photo-64x48-pil-{ow}x{oh}.png'), format='PNG')
    with open(os.path.join(FIX, 'resize-golden.json'), 'w') as f:
        json.dump({'source': 'photo-64x48.png', 'matrices': mats, 'images': images}, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
