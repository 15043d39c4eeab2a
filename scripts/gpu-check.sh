#!/usr/bin/env bash
# The prepared GPU check (README "Devices"). The GPU machines have the NVIDIA driver, CUDA and Python with PyTorch but no
# .NET and no network, and at most 64 MiB can be brought along, so the check program (tests/ReluFast.GpuCheck) is
# published self-contained here, without libtorch (460 MB; an estimated 55 MB xz-compressed), and gzipped (under 40 MiB) into
# .gpucheck/ (git-ignored). Its learning runs need libtorch for the dense solves: they load the machine's own, PyTorch's
# torch/lib on the GPU machine and the NuGet cache's libtorch-cpu here (TorchSharp's bridge, built for libtorch 2.10, is
# in the package; a libtorch it cannot load costs the learning runs only, and the JSON says why).
#
#   scripts/gpu-check.sh prepare            here, with the .NET 10 SDK: publish and pack .gpucheck/gpucheck.tar.gz
#   scripts/gpu-check.sh run [ARGS]         on the GPU machine: unpack to a temporary folder and run the check on cuda:0
#   scripts/gpu-check.sh dry-run [ARGS]     here: the same package on ILGPU's CPU accelerator at a small scale
#
# run prints one JSON line (kernel agreement, per-pass samples/s, GFLOP/s and GB/s against the card's peaks, the learner's
# runs at (32,16,1e7) and (64,32,2e7) from a device-side teacher stream and from the host's, errors) and exits 0 only when
# every check passed. ARGS: --cpu (CPU accelerator), --scale S (the kernel runs' N times S), --learn-scale S (the learning runs' N
# times S), --learn-max-iterations K (cap each refinement's L-BFGS iterations), --learn-sources LIST (of device-stream,
# host-to-device, host-to-cpu: the teacher generated on the device, or the host's teacher stream into the device or into
# the SIMD engine; all three by default), --deadline-s T (learning runs are stopped T s after the start; default 540,
# inside the 10 minutes of one call).
# RELUFAST_LIBTORCH_DIR overrides where libtorch is found.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pack="$root/.gpucheck/gpucheck.tar.gz"

case "${1:-run}" in
  prepare)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    dotnet publish "$root/tests/ReluFast.GpuCheck" -c Release -r linux-x64 --self-contained -o "$work/pub" >&2
    mkdir -p "$root/.gpucheck"
    tar -C "$work/pub" -czf "$pack" .
    size=$(stat -c %s "$pack")
    echo "packed $size bytes ($(du -h "$pack" | cut -f1)) into $pack" >&2
    if (( size > 60 * 1024 * 1024 )); then
      echo "error: $pack is $size bytes: over the 60 MiB that leave room for the repository within the 64 MiB carry limit" >&2
      exit 1
    fi
    ;;
  run|dry-run)
    mode=$1
    shift || true
    if [[ ! -f "$pack" ]]; then
      echo "error: $pack is missing: run 'scripts/gpu-check.sh prepare' on a machine with the .NET 10 SDK first" >&2
      exit 1
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    tar -C "$work" -xzf "$pack"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_TieredCompilation=0
    libtorch=${RELUFAST_LIBTORCH_DIR:-}
    if [[ "$mode" == dry-run ]]; then
      if [[ -z "$libtorch" ]]; then
        # the libtorch TorchSharp's bridge was built for, from the NuGet cache of this (build) machine
        libtorch=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native 2>/dev/null || true)
      fi
      echo "dry run: ILGPU's CPU accelerator; libtorch from ${libtorch:-nowhere}" >&2
      # N scaled and the CPU refinement capped so that it ends in a few minutes on 2 shared cores (the JSON says so)
      "$work/ReluFast.GpuCheck" --cpu --scale 0.0005 --learn-scale 0.001 --learn-max-iterations 50 \
        --libtorch "${libtorch:-/nonexistent}" "$@"
      exit
    fi
    if [[ -z "$libtorch" ]]; then
      libtorch=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null || true)
    fi
    # the machine, for the record (stderr: stdout is the JSON line)
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || echo "nvidia-smi: not found" >&2
    python3 -c 'import torch; print("PyTorch", torch.__version__)' >&2 || echo "python3 with torch: not found" >&2
    echo "libtorch from ${libtorch:-nowhere}" >&2
    "$work/ReluFast.GpuCheck" --libtorch "${libtorch:-/nonexistent}" "$@"
    ;;
  *)
    echo "usage: scripts/gpu-check.sh prepare | run [--cpu] [--scale S] [--learn-scale S] [--deadline-s T] | dry-run" >&2
    exit 1
    ;;
esac
