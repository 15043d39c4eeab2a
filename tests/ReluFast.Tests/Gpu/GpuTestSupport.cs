using System.Runtime.InteropServices;
using ReluFast.Gpu;

namespace ReluFast.Tests.Gpu;

/// <summary>One ILGPU CPU accelerator for the GPU engine tests (creating one compiles the kernels).</summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    internal GpuMomentDevice Device { get; } = GpuMomentDevice.OpenCpuAccelerator();

    public void Dispose() => Device.Dispose();
}

/// <summary>Whether this machine has the NVIDIA driver (libcuda) that a cuda device needs.</summary>
internal static class CudaMachine
{
    public static bool HasDriver { get; } = Probe();

    private static bool Probe()
    {
        if (!NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out IntPtr handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }
}

/// <summary>A fact that needs a CUDA machine: reported as skipped, with the reason, where there is no NVIDIA driver.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!CudaMachine.HasDriver) Skip = "needs an NVIDIA driver and GPU (none here); scripts/gpu-check.sh runs these checks on a GPU machine";
    }
}

/// <summary>A fact about machines without CUDA: reported as skipped, with the reason, on a machine that has the NVIDIA driver.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (CudaMachine.HasDriver) Skip = "this machine has an NVIDIA driver: the CUDA device is tested by the CudaFact tests instead";
    }
}
