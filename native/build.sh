#!/usr/bin/env bash
# Publishes librelufast.so (NativeAOT) into native/build/publish, builds the C examples with CMake in
# native/build and runs them with CTest. Run from anywhere; used by `build.ps1 native` and .ci/run.
#   RELUFAST_NATIVE_CONFIGURATION=Debug  to publish a Debug build (default Release)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
configuration="${RELUFAST_NATIVE_CONFIGURATION:-Release}"
rid="linux-x64"
build="$here/build"
publish="$build/publish"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Tools: the .NET SDK is the project's prerequisite; a C compiler, CMake and a linker for NativeAOT come
# from Debian's packages when missing (CI runs as root on a fresh machine).
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v ctest >/dev/null || missing+=(cmake)
command -v cc >/dev/null || command -v gcc >/dev/null || missing+=(gcc)
command -v clang >/dev/null || command -v gcc >/dev/null || missing+=(gcc)
command -v make >/dev/null || missing+=(make)
command -v objcopy >/dev/null || missing+=(binutils)
command -v readelf >/dev/null || missing+=(binutils)
if ((${#missing[@]})); then
  echo "native/build.sh: installing ${missing[*]} from Debian's packages" >&2
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

start=$(date +%s)
rm -rf "$publish"
dotnet publish "$here/ReluFast.Native/ReluFast.Native.csproj" -c "$configuration" -r "$rid" -o "$publish" -nologo
publish_seconds=$(( $(date +%s) - start ))

# The project's publish step leaves out what librelufast.so does not load; check the set is minimal and complete.
for lib in librelufast.so libLibTorchSharp.so libtorch.so libtorch_cpu.so libc10.so; do
  [[ -f "$publish/$lib" ]] || { echo "native/build.sh: $lib is missing from $publish" >&2; exit 1; }
done
compgen -G "$publish/libgomp-*.so.1" >/dev/null || { echo "native/build.sh: libgomp-*.so.1 is missing from $publish" >&2; exit 1; }
for extra in libtorch_python.so libtorchbind_test.so libjitbackend_test.so; do
  [[ ! -e "$publish/$extra" ]] || { echo "native/build.sh: $extra should have been pruned from $publish" >&2; exit 1; }
done
# The GLIBCXX_3.4.32 requirement must be weak in the published bridge where the system libstdc++ lacks it.
libstdcxx="$( (PATH="$PATH:/sbin:/usr/sbin" ldconfig -p || true) | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found {print $NF; found = 1}')"
if [[ -z "$libstdcxx" ]] || ! strings "$libstdcxx" | grep -x GLIBCXX_3.4.32 >/dev/null; then
  if ! readelf -V "$publish/libLibTorchSharp.so" | grep "GLIBCXX_3.4.32  Flags: WEAK" >/dev/null; then
    echo "native/build.sh: libLibTorchSharp.so in $publish still requires GLIBCXX_3.4.32 (the publish fix did not apply)" >&2
    exit 1
  fi
fi
echo "native/build.sh: published in ${publish_seconds} s: $(du -sh "$publish" | cut -f1) in $publish (librelufast.so $(du -h "$publish/librelufast.so" | cut -f1))"

cmake -S "$here" -B "$build" -DRELUFAST_DIR="$publish" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j 2
ctest --test-dir "$build" --output-on-failure
