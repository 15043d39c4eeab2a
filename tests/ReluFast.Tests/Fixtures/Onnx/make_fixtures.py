#!/usr/bin/python3
"""Makes the ONNX fixtures of `relufast extract` with PyTorch's exporter (Debian's python3-torch 1.13 and python3-onnx):

  relu_d8_m4.onnx            nn.Sequential(Linear(8, 4), ReLU, Linear(4, 1)), float32, x [batch, 8] -> y [batch, 1]
  relu_d12_m6_linear.onnx    the same shape with d = 12, m = 6, plus a linear skip x @ c, float64, output [batch] (squeezed)
  deep_d8.onnx               Linear(8, 6), ReLU, Linear(6, 6), ReLU, Linear(6, 1): not depth-2, float32
  two_columns_d8.onnx        Linear(8, 4), ReLU, Linear(4, 2): output [batch, 2], which extract refuses

Next to each depth-2 model, NAME.json holds its parameters in ReluFast's network JSON (w_i as exported, not normalised).
Run from this folder: /usr/bin/python3 make_fixtures.py. The tests read the committed files and do not need Python.
"""
import json

import torch
from torch import nn

torch.manual_seed(20261201)


class Skip(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, m), nn.ReLU(), nn.Linear(m, 1))
        self.c = nn.Parameter(torch.randn(d, 1) * 0.3)

    def forward(self, x):
        return (self.net(x) + x @ self.c).squeeze(1)


def depth2(seq, d, m):
    with torch.no_grad():
        w = torch.randn(m, d)
        seq[0].weight.copy_(w / w.norm(dim=1, keepdim=True) * (0.5 + torch.rand(m, 1)))
        seq[0].bias.copy_(torch.rand(m) * 1.6 - 0.8)
        signs = torch.where(torch.rand(m) < 0.5, -1.0, 1.0)
        seq[2].weight.copy_((signs * (0.5 + torch.rand(m))).unsqueeze(0))
        seq[2].bias.copy_(torch.randn(1) * 0.1)


def export(model, d, name, dtype):
    model = model.to(dtype).eval()
    x = torch.randn(16, d, dtype=dtype)
    torch.onnx.export(model, x, name, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=13)


def write_json(seq, name, c=None):
    w = seq[0].weight.detach().double()
    d = w.shape[1]
    net = {"inputDim": d, "hidden": w.shape[0], "a": seq[2].weight.detach().double()[0].tolist(), "w": w.tolist(),
           "b": seq[0].bias.detach().double().tolist(),
           "linear": {"bias": float(seq[2].bias.detach()[0]), "weights": c if c is not None else [0.0] * d}}
    with open(name, "w") as f:
        json.dump(net, f, indent=1)


seq = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 1))
depth2(seq, 8, 4)
export(seq, 8, "relu_d8_m4.onnx", torch.float32)
write_json(seq, "relu_d8_m4.json")

skip = Skip(12, 6)
depth2(skip.net, 12, 6)
export(skip, 12, "relu_d12_m6_linear.onnx", torch.float64)
write_json(skip.net, "relu_d12_m6_linear.json", skip.c.detach().double()[:, 0].tolist())

deep = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 1))
export(deep, 8, "deep_d8.onnx", torch.float32)

two = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
export(two, 8, "two_columns_d8.onnx", torch.float32)
