"""Golden PSNR / SSIM values for src/core/image/metrics.test.ts, from scikit-image.

Run (from the repository root, after make_fixture_images.py; needs Debian's python3-skimage 0.19, hence
/usr/bin/python3):
    /usr/bin/python3 scripts/oracles/metrics_golden.py
Reads  src/core/image/__fixtures__/photo-64x48*.png
Writes src/core/image/__fixtures__/metrics-golden.json: one entry per pair with
  psnr  = peak_signal_noise_ratio(a, b, data_range=255)            (uint8 inputs, MSE over all channels)
  ssim  = structural_similarity(a, b, data_range=255, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False)       (Wang et al. 2004; mean of per-channel SSIM)
  ssimLuma = the same call on the BT.601 luma planes (0.299 R + 0.587 G + 0.114 B, float64, not rounded),
             channel_axis=None: recorded for comparison only
  linf  = max |a - b| over all channels
"""

import json
import os

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, 'src', 'core', 'image', '__fixtures__')
REF = 'photo-64x48.png'
OTHERS = ['photo-64x48-noise.png', 'photo-64x48-jpeg30.png', 'photo-64x48-bright.png', 'photo-64x48-jnd.png']
WANG = dict(data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


def load(name: str) -> np.ndarray:
    return np.asarray(Image.open(os.path.join(FIX, name)).convert('RGB'), dtype=np.uint8)


def luma(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def main() -> None:
    a = load(REF)
    pairs = []
    for name in OTHERS:
        b = load(name)
        pairs.append({
            'a': REF,
            'b': name,
            'psnr': float(peak_signal_noise_ratio(a, b, data_range=255)),
            'ssim': float(structural_similarity(a, b, channel_axis=2, **WANG)),
            'ssimLuma': float(structural_similarity(luma(a), luma(b), **WANG)),
            'linf': int(np.max(np.abs(a.astype(np.int32) - b.astype(np.int32)))),
        })
    with open(os.path.join(FIX, 'metrics-golden.json'), 'w') as f:
        json.dump({'pairs': pairs}, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
