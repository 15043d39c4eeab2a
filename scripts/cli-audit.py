#!/usr/bin/env python3
"""A random audit of `relufast learn` on teachers that `relufast generate` does not draw (needs python3-numpy).

Each seed draws a teacher and its samples the way users bring them: d from 3 to 32, full rank or overcomplete, w_i of norms
0.3 to 3 or unit, at times a near-parallel pair or a weak neuron, biases up to 2.5, a linear part, y in other units
(x 1e-3, x 1e4) or about an offset of 1e3, inputs with a mean and a covariance (condition 3 to 300) or in other units
(x 100, x 0.01), label noise, float32 or float64 files. It runs the CLI with default options, then measures the learned
model's relative test MSE on 2*10^5 fresh samples of the same law, and prints one JSON line per seed with a verdict:

  ok        exit code 0, no warning, relative test MSE <= 1e-6
  warned    exit code 0 with warnings (the summary's first lines say what is wrong)
  refused   exit code 1 (an error line)
  SILENT    exit code 0, no warning, relative test MSE > 1e-6: the outcome the product must never have

Run: python3 scripts/cli-audit.py FIRST_SEED LAST_SEED [path to the built relufast CLI] > audit.jsonl
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def relu(z):
    return np.maximum(z, 0)


def evaluate(net, x):
    w = np.array(net['w'], dtype=float).reshape(len(net['a']), x.shape[1])  # an empty network has w = []
    lin = net.get('linear') or {}
    out = relu(x @ w.T + np.array(net['b'])) @ np.array(net['a'])
    return out + lin.get('bias', 0) + x @ np.array(lin.get('weights', [0] * x.shape[1]))


def draw(r):
    d = int(r.choice([3, 5, 8, 12, 16, 20, 24, 32]))
    over = r.random() < 0.2 and d <= 16
    m = int(r.integers(d + 1, min(d * (d + 1) // 2, 2 * d) + 1)) if over else int(r.integers(1, d + 1))
    n = int(r.choice([200_000, 500_000, 1_000_000, 2_000_000, 4_000_000]))
    norms = np.exp(r.uniform(np.log(0.3), np.log(3), m)) if r.random() < 0.5 else np.ones(m)
    w = r.standard_normal((m, d))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    if r.random() < 0.2 and m >= 2:  # a near-parallel pair
        w[1] = w[0] + 0.3 * r.standard_normal(d) / np.sqrt(d)
        w[1] /= np.linalg.norm(w[1])
    w *= norms[:, None]
    a = r.choice([-1, 1], m) * r.uniform(0.5, 1.5, m)
    if r.random() < 0.3:
        a[r.integers(m)] *= 0.15  # a weak neuron
    bias_range = float(r.choice([0.0, 0.5, 1.5, 2.5]))
    b = r.uniform(-bias_range, bias_range, m) * norms
    linear = r.random() < 0.3
    c0 = float(r.normal()) if linear else 0.0
    offset = float(r.choice([0.0, 0.0, 0.0, 1e3]))
    c = r.normal(size=d) * 0.5 if linear else np.zeros(d)
    y_unit = float(r.choice([1.0, 1.0, 1e-3, 1e4]))
    law = r.random() < 0.3
    mu = r.uniform(-1, 1, d) if law else np.zeros(d)
    if law:
        condition = float(r.choice([3, 30, 300]))
        q, _ = np.linalg.qr(r.standard_normal((d, d)))
        root = q * np.sqrt(np.logspace(-0.5 * np.log10(condition), 0.5 * np.log10(condition), d))
    else:
        root = np.eye(d)
    x_unit = float(r.choice([1.0, 1.0, 1.0, 100.0, 0.01]))
    noise = float(r.choice([0.0, 0.0, 0.01])) * y_unit
    dtype = str(r.choice(['float64', 'float32']))
    net = {'inputDim': d, 'hidden': m, 'a': (a * y_unit).tolist(), 'w': (w / x_unit).tolist(), 'b': b.tolist(),
           'linear': {'bias': (c0 + offset) * y_unit, 'weights': (c * y_unit / x_unit).tolist()}}
    case = dict(d=d, m=m, N=n, overcomplete=over, norms=bool(norms.min() != 1), biasRange=bias_range, linear=linear,
                offset=offset, yUnit=y_unit, law=law, xUnit=x_unit, noise=noise, dtype=dtype)
    return net, mu * x_unit, root * x_unit, n, noise, dtype, case


def audit(seed, cli, root_dir):
    r = np.random.default_rng(seed)
    net, mu, root, n, noise, dtype, case = draw(r)
    d = net['inputDim']
    folder = os.path.join(root_dir, f'seed{seed}')
    os.makedirs(folder)
    x = mu + r.standard_normal((n, d)) @ root.T
    y = evaluate(net, x) + noise * r.standard_normal(n)
    np.save(os.path.join(folder, 'x.npy'), x.astype(dtype))
    np.save(os.path.join(folder, 'y.npy'), y.astype(dtype))
    del x, y
    case['seed'] = seed
    start = time.time()
    run = subprocess.run([cli, 'learn', '--x', f'{folder}/x.npy', '--y', f'{folder}/y.npy', '--out', f'{folder}/model.json', '--json'],
                         capture_output=True, text=True, timeout=3600)
    case['seconds'] = round(time.time() - start, 1)
    case['exitCode'] = run.returncode
    if run.returncode != 0:
        case['error'] = run.stderr.strip()[-300:]
        case['verdict'] = 'refused' if run.returncode == 1 else 'CRASH'
        return case
    summary = json.loads(run.stdout)
    case['warnings'] = [w['code'] for w in summary.get('warnings') or []]
    case['mode'] = summary.get('mode')
    case['hiddenFound'] = summary.get('hidden')
    case['relativeHeldOutMse'] = summary.get('relativeHeldOutMse')
    with open(f'{folder}/model.json') as f:
        model = json.load(f)
    xt = mu + r.standard_normal((200_000, d)) @ root.T
    ft = evaluate(net, xt)
    case['relativeTestMse'] = float(np.mean((ft - evaluate(model, xt)) ** 2) / np.var(ft))
    case['verdict'] = 'warned' if case['warnings'] else 'ok' if case['relativeTestMse'] <= 1e-6 else 'SILENT'
    return case


def main():
    first, last = int(sys.argv[1]), int(sys.argv[2])
    cli = sys.argv[3] if len(sys.argv) > 3 else 'src/ReluFast.Cli/bin/Release/net10.0/linux-x64/ReluFast.Cli'
    root_dir = tempfile.mkdtemp(prefix='relufast-audit-')
    try:
        for seed in range(first, last + 1):
            print(json.dumps(audit(seed, cli, root_dir)), flush=True)
            shutil.rmtree(os.path.join(root_dir, f'seed{seed}'), ignore_errors=True)
    finally:
        shutil.rmtree(root_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
