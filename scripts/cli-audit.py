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

With --wide the seeds draw a second, wider family (other cases for the same seed numbers): d up to 64, as few as 5*10^4
samples, w_i of norms 0.1 to 10, weaker neurons (a x 0.03), biases up to 3.5, label noise up to 0.1, inputs about a mean
of 10^3 times their spread, non-Gaussian inputs (uniform or Student t with 5 degrees of freedom: the learner must refuse
or warn), and .npz or CSV files besides .npy. Under label noise s a correct fit still misses f by its sampling error,
about s^2 p / N for p parameters, so SILENT there means a relative test MSE above max(1e-6, 10 s^2 p / (N Var f)).

Run: python3 scripts/cli-audit.py FIRST_SEED LAST_SEED [path to the built relufast CLI] [--wide] > audit.jsonl
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


def draw_wide(r):
    d = int(r.choice([3, 5, 8, 12, 16, 20, 24, 32, 48, 64]))
    over = r.random() < 0.2 and d <= 16
    m = int(r.integers(d + 1, min(d * (d + 1) // 2, 2 * d) + 1)) if over else int(r.integers(1, d + 1))
    n = int(r.choice([50_000, 100_000, 200_000, 1_000_000, 4_000_000]))
    spread = float(r.choice([1.0, 3.0, 10.0]))
    norms = np.exp(r.uniform(-np.log(spread), np.log(spread), m))
    w = r.standard_normal((m, d))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    if r.random() < 0.2 and m >= 2:  # a near-parallel pair
        w[1] = w[0] + float(r.choice([0.1, 0.3])) * r.standard_normal(d) / np.sqrt(d)
        w[1] /= np.linalg.norm(w[1])
    w *= norms[:, None]
    a = r.choice([-1, 1], m) * r.uniform(0.5, 1.5, m)
    if r.random() < 0.3:
        a[r.integers(m)] *= float(r.choice([0.15, 0.03]))  # a weak neuron
    bias_range = float(r.choice([0.0, 1.0, 2.5, 3.5]))
    b = r.uniform(-bias_range, bias_range, m) * norms
    linear = r.random() < 0.3
    c0 = float(r.normal()) if linear else 0.0
    c = r.normal(size=d) * 0.5 if linear else np.zeros(d)
    offset = float(r.choice([0.0, 0.0, 0.0, 1e3]))
    y_unit = float(r.choice([1.0, 1.0, 1e-3, 1e4]))
    law = r.random() < 0.3
    condition = float(r.choice([3, 30, 300])) if law else 1.0
    q, _ = np.linalg.qr(r.standard_normal((d, d)))
    root = q * np.sqrt(np.logspace(-0.5 * np.log10(condition), 0.5 * np.log10(condition), d)) if law else np.eye(d)
    far = r.random() < 0.15  # inputs about a mean 10^3 times their spread
    mu = (1e3 if far else 1.0) * r.uniform(-1, 1, d) if law or far else np.zeros(d)
    shape = str(r.choice(['gaussian'] * 8 + ['uniform', 'student5']))
    x_unit = float(r.choice([1.0, 1.0, 1.0, 100.0, 0.01]))
    noise = float(r.choice([0.0, 0.0, 0.01, 0.1])) * y_unit
    dtype = str(r.choice(['float64', 'float32']))
    fmt = str(r.choice(['npy', 'npy', 'npz', 'csv'])) if n <= 200_000 else str(r.choice(['npy', 'npy', 'npz']))
    # the teacher of the centred inputs, so that its kinks lie among the samples (about a far mean no neuron would switch)
    net = {'inputDim': d, 'hidden': m, 'a': (a * y_unit).tolist(), 'w': (w / x_unit).tolist(), 'b': (b - w @ mu).tolist(),
           'linear': {'bias': (c0 + offset - c @ mu) * y_unit, 'weights': (c * y_unit / x_unit).tolist()}}
    case = dict(d=d, m=m, N=n, overcomplete=over, normSpread=spread, biasRange=bias_range, linear=linear, offset=offset,
                yUnit=y_unit, law=law, far=far, shape=shape, xUnit=x_unit, noise=noise, dtype=dtype, format=fmt)
    return net, mu * x_unit, root * x_unit, n, noise, dtype, case


def standard(r, shape, rows, d):
    """Inputs of mean 0 and covariance I: Gaussian, or uniform or Student t (5 degrees of freedom) scaled to unit variance."""
    if shape == 'uniform':
        return r.uniform(-np.sqrt(3), np.sqrt(3), (rows, d))
    if shape == 'student5':
        return r.standard_t(5, (rows, d)) / np.sqrt(5 / 3)
    return r.standard_normal((rows, d))


def write(folder, x, y, dtype, fmt):
    """The samples in the case's format, and the CLI's arguments that read them."""
    x, y = x.astype(dtype), y.astype(dtype)
    if fmt == 'npz':
        np.savez(os.path.join(folder, 'data.npz'), x=x, y=y)
        return ['--data', f'{folder}/data.npz']
    if fmt == 'csv':
        header = ','.join([f'x{j}' for j in range(x.shape[1])] + ['y'])
        np.savetxt(os.path.join(folder, 'data.csv'), np.column_stack([x, y]), delimiter=',', header=header, comments='',
                   fmt='%.9g' if dtype == 'float32' else '%.17g')
        return ['--csv', f'{folder}/data.csv', '--target', 'y']
    np.save(os.path.join(folder, 'x.npy'), x)
    np.save(os.path.join(folder, 'y.npy'), y)
    return ['--x', f'{folder}/x.npy', '--y', f'{folder}/y.npy']


def audit(seed, cli, root_dir, wide):
    r = np.random.default_rng(seed)
    net, mu, root, n, noise, dtype, case = draw_wide(r) if wide else draw(r)
    shape, fmt = case.get('shape', 'gaussian'), case.get('format', 'npy')
    d = net['inputDim']
    folder = os.path.join(root_dir, f'seed{seed}')
    os.makedirs(folder)
    x = mu + standard(r, shape, n, d) @ root.T
    y = evaluate(net, x) + noise * r.standard_normal(n)
    inputs = write(folder, x, y, dtype, fmt)
    del x, y
    case['seed'] = seed
    start = time.time()
    run = subprocess.run([cli, 'learn', *inputs, '--out', f'{folder}/model.json', '--json'],
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
    xt = mu + standard(r, shape, 200_000, d) @ root.T
    ft = evaluate(net, xt)
    case['relativeTestMse'] = float(np.mean((ft - evaluate(model, xt)) ** 2) / np.var(ft))
    # a fit of p parameters to labels with noise s misses f by about s^2 p / N (the estimate's sampling error)
    p = net['hidden'] * (d + 2) + d + 1
    limit = max(1e-6, 10 * noise ** 2 * p / (n * np.var(ft))) if wide else 1e-6
    case['verdict'] = 'warned' if case['warnings'] else 'ok' if case['relativeTestMse'] <= limit else 'SILENT'
    return case


def main():
    wide = '--wide' in sys.argv
    args = [a for a in sys.argv[1:] if a != '--wide']
    first, last = int(args[0]), int(args[1])
    cli = args[2] if len(args) > 2 else 'src/ReluFast.Cli/bin/Release/net10.0/linux-x64/ReluFast.Cli'
    root_dir = tempfile.mkdtemp(prefix='relufast-audit-')
    try:
        for seed in range(first, last + 1):
            print(json.dumps(audit(seed, cli, root_dir, wide)), flush=True)
            shutil.rmtree(os.path.join(root_dir, f'seed{seed}'), ignore_errors=True)
    finally:
        shutil.rmtree(root_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
