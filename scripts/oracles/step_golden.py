"""Golden values for one activation step (src/core/activation/step-graph.test.ts).

Run from the repository root with Debian's python (torch 1.13, onnx):
    /usr/bin/python3 scripts/oracles/step_golden.py
Writes src/core/activation/__fixtures__/step_cnn.onnx (a small CNN extractor defined here in PyTorch,
input [1,3,16,16] in [0,1], output a unit-norm 12-d feature) and step_golden.json: every input of the
step graph and the outputs computed independently with torch autograd and torch.optim.Adam, starting
from a non-trivial Adam state (t = 3) so that the update depends on gradient values, not only signs.
Two views (step-graph.ts): a plain one and an edited one (other spatial matrices, a colour matrix that
pushes some pixels out of [0, 1] so that the clip matters, a mean-colour term), weighted 0.6 / 0.4.
"""
import json
import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)
FIX = 'src/core/activation/__fixtures__/'
H, W, S, D = 20, 24, 16, 12
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
A = torch.tensor([0.072 / 0.299, 0.072 / 0.587, 0.072 / 0.114]).view(1, 3, 1, 1)


class SmallCnn(nn.Module):
    """Conv + ReLU6, depthwise conv, pointwise conv, global pooling, linear, L2 normalisation."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.c3 = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16, D)

    def forward(self, x):
        x = torch.clamp(self.c1(2 * x - 1), 0, 6)
        x = torch.clamp(self.c2(x), 0, 6)
        x = self.c3(x)
        x = x.mean(dim=(2, 3))
        x = self.fc(x)
        return x / torch.sqrt((x * x).sum(dim=1, keepdim=True))


net = SmallCnn().eval()
torch.onnx.export(net, torch.rand(1, 3, S, S), FIX + 'step_cnn.onnx', input_names=['image'],
                  output_names=['feature'], opset_version=17, do_constant_folding=True,
                  dynamic_axes={'image': {0: 'N'}, 'feature': {0: 'N'}})


def row_stochastic(n_out, n_in):
    m = torch.rand(n_out, n_in) ** 3
    return m / m.sum(dim=1, keepdim=True)


x_unit = torch.rand(1, 3, H, W)
inputs = {
    'delta': torch.randn(1, 3, H, W) * 0.5,
    'adam_m': torch.randn(1, 3, H, W) * 1e-3,
    'adam_v': torch.rand(1, 3, H, W) * 1e-5,
    'step': torch.tensor([3.0]),
    'lr': torch.tensor([0.7]),
    'x_orig': (x_unit - MEAN) / STD,
    'jnd': torch.rand(1, 1, H, W) * 0.1 + 0.02,
    'resize_rows': torch.stack([row_stochastic(S, H), row_stochastic(S, H)]),
    'resize_cols': torch.stack([row_stochastic(S, W), row_stochastic(S, W)]),
    'view_color': torch.stack([torch.eye(3), 1.6 * torch.eye(3) + 0.2 * torch.randn(3, 3)]),
    'view_mean': torch.stack([torch.zeros(3, 3), 0.3 * torch.randn(3, 3)]),
    'view_weight': torch.tensor([0.6, 0.4]),
    'target': torch.randn(1, D),
    'alpha': torch.tensor([3.0]),
    'lambda_f': torch.tensor([1.0]),
    'lambda_i': torch.tensor([0.5]),
}

delta = inputs['delta'].clone().requires_grad_(True)
pert = inputs['alpha'] * inputs['jnd'] * torch.tanh(delta) * A
img = inputs['x_orig'] + pert
unit = img * STD + MEAN
spatial = inputs['resize_rows'][:, None] @ unit @ inputs['resize_cols'][:, None].transpose(-1, -2)  # [V,3,S,S]
pixels = spatial.permute(0, 2, 3, 1)  # [V,S,S,3]
mean = pixels.mean(dim=(1, 2), keepdim=True)  # [V,1,1,3]
coloured = pixels @ inputs['view_color'][:, None] + mean @ inputs['view_mean'][:, None]
views = torch.clamp(coloured.permute(0, 3, 1, 2), 0, 1)
print('clipped share', float(((coloured < 0) | (coloured > 1)).float().mean()))
feat = net(views)
t = inputs['target']
cosines = (feat * t).sum(dim=1) / (feat.norm(dim=1) * t.norm(dim=1))
cosine = (cosines * inputs['view_weight']).sum().reshape(1)
feature_loss = 1 - cosine
image_loss = ((img - inputs['x_orig']) ** 2).mean().reshape(1)
loss = inputs['lambda_f'] * feature_loss + inputs['lambda_i'] * image_loss
loss.backward()
grad = delta.grad.clone()

opt = torch.optim.Adam([delta], lr=float(inputs['lr']), betas=(0.9, 0.999), eps=1e-8, foreach=False)
opt.state[delta] = {'step': torch.tensor(2.0), 'exp_avg': inputs['adam_m'].clone(),
                    'exp_avg_sq': inputs['adam_v'].clone()}
opt.step()
st = opt.state[delta]

outputs = {
    'delta_next': delta.detach(), 'adam_m_next': st['exp_avg'], 'adam_v_next': st['exp_avg_sq'],
    'loss': loss.detach(), 'feature_loss': feature_loss.detach(), 'image_loss': image_loss.detach(),
    'cosine': cosine.detach(), 'grad': grad,
}


def pack(d):
    return {k: {'dims': list(v.shape), 'data': [float(x) for x in v.detach().reshape(-1).numpy()]} for k, v in d.items()}


with open(FIX + 'step_golden.json', 'w') as f:
    json.dump({'inputs': pack(inputs), 'outputs': pack(outputs)}, f)
print('loss', float(loss), 'cosine', float(cosine), 'wrote', FIX)
