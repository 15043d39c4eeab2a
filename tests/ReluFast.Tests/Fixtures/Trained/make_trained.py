#!/usr/bin/python3
"""Makes the trained-network fixtures (issue 13, item 3): depth-2 ReLU regressors that nobody designed as random teachers.

Data: scikit-learn's bundled digits set (Debian's python3-sklearn; 1797 images of 8 x 8 pixels, d = 64), each pixel
standardised over the set (mean 0, standard deviation 1; the 3 pixels that are 0 in every image are left at 0), so that
Gaussian N(0, I) queries are roughly on the data's scale. Target: the digit's value 0..9 (a regression).
Model: nn.Sequential(Linear(64, m), ReLU(), Linear(m, 1)) in float64 with PyTorch's default initialisation, trained by
full-batch Adam (learning rate 1e-3, no weight decay) on a fixed 60 % of the images, stopped early: the weights kept are
those of the step (a multiple of 10, at most 3000) with the least squared error on another 20 % (validation); the last 20 %
give the test error. For m = 16, 32, 48, 64. Without early stopping these networks overfit within a few hundred steps.

trained_d64_mM.json holds the weights in ReluFast's network JSON exactly as trained (row i of w is w_i, the output
layer's bias is linear.bias, linear.weights are 0), not normalised or changed in any way; "metadata" records how it was
made and its statistics (readers ignore it). The same statistics are printed. Run from this folder:
/usr/bin/python3 make_trained.py (a few minutes on one core). The tests read the committed files and do not need Python.
"""
import copy
import json
import math

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

SEED = 20261313
STEPS = 3000
EVERY = 10


def normal_cdf(t):
    return 0.5 * math.erfc(-t / math.sqrt(2))


def statistics(w, a, b):
    """Row norms, |a_i|, biases, angles and Gaussian activation fractions, in the units of the JSON and normalised."""
    norms = np.linalg.norm(w, axis=1)
    u = w / norms[:, None]
    cos = np.clip(u @ u.T, -1, 1)
    np.fill_diagonal(cos, 0)
    min_line_angle = math.degrees(math.acos(np.abs(cos).max()))  # angle between the lines (w_i and -w_i alike)
    min_angle = math.degrees(math.acos(cos.max()))
    t = b / norms  # a neuron is active for x ~ N(0, I) with probability Phi(b_i / |w_i|)
    active = np.array([normal_cdf(v) for v in t])
    an = np.abs(a) * norms  # |a_i| |w_i|: the output weight of the unit-w form
    c2 = an * np.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # |a_i| |w_i| c_2(b_i / |w_i|): the neuron's weight in T_2
    singular = np.linalg.svd(u, compute_uv=False)
    return {
        "row norms |w_i|": (norms.min(), norms.max()),
        "|a_i|": (np.abs(a).min(), np.abs(a).max()),
        "b_i": (b.min(), b.max()),
        "|a_i| |w_i| (unit-w output weight)": (an.min(), an.max()),
        "b_i / |w_i| (unit-w bias)": (t.min(), t.max()),
        "P(neuron active), x ~ N(0, I)": (active.min(), active.max()),
        "|a_i| |w_i| c_2(b_i / |w_i|)": (c2.min(), c2.max()),
        "min angle between w_i (deg)": min_angle,
        "min angle between lines +-w_i (deg)": min_line_angle,
        "singular values of the matrix of unit w_i": (singular.min(), singular.max()),
    }


def main():
    x, y = load_digits(return_X_y=True)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1
    x = (x - mean) / std
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(x))
    n60, n80 = int(0.6 * len(x)), int(0.8 * len(x))
    train, valid, test = order[:n60], order[n60:n80], order[n80:]
    torch.set_num_threads(1)
    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64).unsqueeze(1)
    for m in (16, 32, 48, 64):
        torch.manual_seed(SEED + m)
        net = nn.Sequential(nn.Linear(64, m), nn.ReLU(), nn.Linear(m, 1)).double()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        best, best_step, best_state = math.inf, 0, None
        for step in range(1, STEPS + 1):
            opt.zero_grad()
            loss = ((net(xt[train]) - yt[train]) ** 2).mean()
            loss.backward()
            opt.step()
            if step % EVERY == 0:
                with torch.no_grad():
                    valid_mse = float(((net(xt[valid]) - yt[valid]) ** 2).mean())
                if valid_mse < best:
                    best, best_step, best_state = valid_mse, step, copy.deepcopy(net.state_dict())
        net.load_state_dict(best_state)
        with torch.no_grad():
            train_mse = float(((net(xt[train]) - yt[train]) ** 2).mean())
            test_mse = float(((net(xt[test]) - yt[test]) ** 2).mean())
            dead = int((net[1](net[0](xt)) > 0).sum(dim=0).eq(0).sum())  # neurons active on no image
        w = net[0].weight.detach().numpy().astype(np.float64)
        b = net[0].bias.detach().numpy().astype(np.float64)
        a = net[2].weight.detach().numpy().astype(np.float64)[0]
        c0 = float(net[2].bias.detach()[0])
        stats = statistics(w, a, b)
        print(f"## m = {m}: step {best_step}, train MSE {train_mse:.4f}, validation MSE {best:.4f}, test MSE {test_mse:.4f} "
              f"(Var y = {y.var():.3f}), "
              f"neurons active on no image: {dead}, output bias {c0:.4f}")
        for name, value in stats.items():
            print(f"  {name}: " + (f"{value[0]:.4g} .. {value[1]:.4g}" if isinstance(value, tuple) else f"{value:.4g}"))
        metadata = {
            "made by": "make_trained.py",
            "data": "sklearn.datasets.load_digits, pixels standardised, target = digit value",
            "training": f"full-batch Adam, lr 1e-3, float64, torch seed {SEED + m}, stopped early at step {best_step}",
            "train MSE": f"{train_mse:.6g}",
            "validation MSE": f"{best:.6g}",
            "test MSE": f"{test_mse:.6g}",
            "neurons active on no image": str(dead),
        }
        for name, value in stats.items():
            metadata[name] = f"{value[0]:.6g} .. {value[1]:.6g}" if isinstance(value, tuple) else f"{value:.6g}"
        doc = {"inputDim": 64, "hidden": m, "a": a.tolist(), "w": w.tolist(), "b": b.tolist(),
               "linear": {"bias": c0, "weights": [0.0] * 64}, "metadata": metadata}
        with open(f"trained_d64_m{m}.json", "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
