"""Golden outputs of torchvision's colour and blur transforms for src/core/eval/pixel-edits.test.ts.

Run from the repository root with Debian's python (numpy, torch, torchvision, PIL):
    /usr/bin/python3 scripts/oracles/eval_transforms_golden.py
Reads src/core/eval/__fixtures__/photo-48x32.png, applies torchvision.transforms.functional on float
tensors in [0, 1] (as the paper's evaluation does), and writes the results scaled to 0..255 (unrounded)
to src/core/eval/__fixtures__/transforms-golden.json.
"""
import json
import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image

torch.set_num_threads(1)
FIX = 'src/core/eval/__fixtures__/'
img = np.asarray(Image.open(FIX + 'photo-48x32.png').convert('RGB'), dtype=np.float32) / 255.0
x = torch.from_numpy(img).permute(2, 0, 1).contiguous()

cases = {
    'brightness0.5': TF.adjust_brightness(x, 0.5),
    'brightness2': TF.adjust_brightness(x, 2.0),
    'contrast0.5': TF.adjust_contrast(x, 0.5),
    'contrast2': TF.adjust_contrast(x, 2.0),
    'saturation0.3': TF.adjust_saturation(x, 0.3),
    'hue0.2': TF.adjust_hue(x, 0.2),
    'hue-0.1': TF.adjust_hue(x, -0.1),
    'blur2': TF.gaussian_blur(x, kernel_size=[11, 11], sigma=[2.0, 2.0]),
}
out = {'width': img.shape[1], 'height': img.shape[0], 'cases': {}}
for name, y in cases.items():
    hwc = (y.permute(1, 2, 0).numpy() * 255.0).astype(np.float64)
    out['cases'][name] = [round(float(v), 2) for v in hwc.reshape(-1)]
with open(FIX + 'transforms-golden.json', 'w') as f:
    json.dump(out, f)
print('wrote', FIX + 'transforms-golden.json')
