"""Make the small image fixtures used by the src/core/image tests.

Run (from the repository root; needs Debian's python3-numpy and python3-pil, hence /usr/bin/python3):
    /usr/bin/python3 scripts/oracles/make_fixture_images.py [path/to/corpus/photos]
Default corpus: ../shared/corpus/photos (the development photo corpus next to the checkout).

Source photo: lomiri1604-seeding-by-clements-engelhardt.jpg (Clemens Engelhardt, 2018, CC0-1.0), centre-cropped
to 4:3 and downscaled with Pillow's Lanczos filter. Outputs, in src/core/image/__fixtures__/:
  photo-64x48.png            the reference photo (JND, SSIM, PSNR goldens)
  photo-64x48-noise.png      + Gaussian noise sigma 8 (numpy seed 0), rounded and clipped
  photo-64x48-jpeg30.png     JPEG round trip at quality 30 (Pillow / libjpeg-turbo), decoded and stored losslessly
  photo-64x48-bright.png     + 20 on every channel, clipped at 255
  photo-64x48-jnd.png        + an activation-like perturbation: uniform integer noise in [-3, 3] (seed 1)
  photo-320x240.jpg          a larger copy for the resize-vs-sharp test (JPEG quality 90; tests compare both
                             resizers on the same decoded pixels, so the decoder does not matter)
Deterministic: the same Pillow / numpy versions regenerate byte-identical files.
"""

import io
import os
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'src', 'core', 'image', '__fixtures__')
SOURCE = 'lomiri1604-seeding-by-clements-engelhardt.jpg'


def save_png(arr: np.ndarray, name: str) -> None:
    # optimize=False and no metadata keep the bytes stable across runs.
    Image.fromarray(arr.astype(np.uint8), 'RGB').save(os.path.join(OUT, name), format='PNG')


def main() -> None:
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '..', 'shared', 'corpus', 'photos')
    src = Image.open(os.path.join(corpus, SOURCE)).convert('RGB')
    w, h = src.size
    cw = min(w, h * 4 // 3)
    ch = cw * 3 // 4
    left, top = (w - cw) // 2, (h - ch) // 2
    crop = src.crop((left, top, left + cw, top + ch))
    os.makedirs(OUT, exist_ok=True)

    small = np.asarray(crop.resize((64, 48), Image.LANCZOS), dtype=np.uint8)
    save_png(small, 'photo-64x48.png')

    rng = np.random.default_rng(0)
    noisy = np.clip(np.round(small.astype(np.float64) + rng.normal(0.0, 8.0, small.shape)), 0, 255)
    save_png(noisy, 'photo-64x48-noise.png')

    buf = io.BytesIO()
    Image.fromarray(small, 'RGB').save(buf, format='JPEG', quality=30)
    buf.seek(0)
    save_png(np.asarray(Image.open(buf).convert('RGB')), 'photo-64x48-jpeg30.png')

    save_png(np.clip(small.astype(np.int32) + 20, 0, 255), 'photo-64x48-bright.png')

    rng = np.random.default_rng(1)
    save_png(np.clip(small.astype(np.int32) + rng.integers(-3, 4, small.shape), 0, 255), 'photo-64x48-jnd.png')

    crop.resize((320, 240), Image.LANCZOS).save(os.path.join(OUT, 'photo-320x240.jpg'), format='JPEG', quality=90)


if __name__ == '__main__':
    main()
