#!/usr/bin/env python3
"""The GPU machine's ceilings for the GPU check's numbers (README "Devices"), measured with PyTorch on cuda:0.

Prints one JSON line: host-to-device and device-to-host copy bandwidth from page-locked and pageable host memory
(the device path's input limit: every pass streams its blocks from the host), device-to-device copy bandwidth, the FP64
matrix product's rate (cuBLAS: the card's reachable FP64 peak) and the weighted Gram X^T diag(w) X of pass 1 at d = 33
and 65 as one cuBLAS product over N = 2^22 samples (the rate a library kernel gets on pass 1's shape), each the best of
several timed repeats after a warm-up, timed with CUDA events.  Run on the GPU machine: python3 scripts/gpu-ceilings.py
"""
import json
import torch


def timed(fn, repeats=10):
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end) / 1e3)
    return best


def main():
    dev = torch.device("cuda:0")
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    nbytes = 1 << 30
    gpu = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    for kind, pinned in (("pinned", True), ("pageable", False)):
        host = torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned)
        host.fill_(1)
        out[f"h2d_{kind}_gbs"] = round(nbytes / timed(lambda: gpu.copy_(host, non_blocking=pinned), 5) / 1e9, 2)
        out[f"d2h_{kind}_gbs"] = round(nbytes / timed(lambda: host.copy_(gpu, non_blocking=pinned), 5) / 1e9, 2)
    other = torch.empty_like(gpu)
    out["d2d_gbs_read_plus_write"] = round(2 * nbytes / timed(lambda: other.copy_(gpu)) / 1e9, 1)
    del gpu, other
    a = torch.randn(8192, 8192, dtype=torch.float64, device=dev)
    b = torch.randn(8192, 8192, dtype=torch.float64, device=dev)
    out["dgemm_8192_tflops"] = round(2 * 8192**3 / timed(lambda: a @ b, 5) / 1e12, 2)
    del a, b
    n = 1 << 22
    for d in (33, 65):
        x = torch.randn(n, d, dtype=torch.float64, device=dev)
        w = torch.randn(n, 1, dtype=torch.float64, device=dev)
        s = timed(lambda: x.T @ (x * w))
        out[f"gram_d{d}_cublas"] = {"samples_per_s": round(n / s), "gflops_useful": round(n * d * (d + 1) / s / 1e9, 1)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
