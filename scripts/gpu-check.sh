#!/usr/bin/env bash
# The prepared GPU check (README "Devices"). The GPU machines have the NVIDIA driver but no .NET and no network, and at
# most 64 MiB can be brought along, so the check program (tests/ReluFast.GpuCheck) is published self-contained here,
# without libtorch (it never calls TorchSharp), and gzipped (about 36 MiB) into .gpucheck/ (git-ignored).
#
#   scripts/gpu-check.sh prepare            here, with the .NET 10 SDK: publish and pack .gpucheck/gpucheck.tar.gz
#   scripts/gpu-check.sh run [ARGS]         on the GPU machine: unpack to a temporary folder and run the check on cuda:0
#   scripts/gpu-check.sh dry-run            here: the same package on ILGPU's CPU accelerator at a small scale
#
# run prints one JSON line (kernel agreement, per-pass samples/s, GFLOP/s and GB/s against the card's peaks, errors)
# and exits 0 only when every check passed. ARGS: --cpu (CPU accelerator), --scale S (sample counts times S).
# A whole run on a GPU takes well under the 10-minute limit of one device call (the kernels compile in seconds).
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
    echo "packed $(du -h "$pack" | cut -f1) into $pack" >&2
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
    if [[ "$mode" == dry-run ]]; then
      "$work/ReluFast.GpuCheck" --cpu --scale 0.0005 "$@"
      exit
    fi
    # the machine, for the record (stderr: stdout is the JSON line)
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || echo "nvidia-smi: not found" >&2
    "$work/ReluFast.GpuCheck" "$@"
    ;;
  *)
    echo "usage: scripts/gpu-check.sh prepare | run [--cpu] [--scale S] | dry-run" >&2
    exit 1
    ;;
esac
