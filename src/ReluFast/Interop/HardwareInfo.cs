using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Interop;

/// <summary>What the SIMD hot path can use on this machine, and the peak it can reach.</summary>
internal static class HardwareInfo
{
    /// <summary>Width in bits of the widest hardware-accelerated vector the engine uses (512, 256, 128, or 64 for scalar).</summary>
    public static int SimdWidthBits =>
        Vector512.IsHardwareAccelerated ? 512 :
        Vector256.IsHardwareAccelerated ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 64;

    /// <summary>Whether fused multiply-add instructions are available.</summary>
    public static bool HasFma => Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    /// <summary>Number of logical processors the engine may use.</summary>
    public static int ProcessorCount => Environment.ProcessorCount;

    /// <summary>A one-line description: "AVX-512 (512-bit), FMA, 2 cores".</summary>
    public static string Describe()
    {
        string isa = Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : Avx.IsSupported ? "AVX"
            : System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "AdvSIMD" : Vector.IsHardwareAccelerated ? "SIMD" : "scalar";
        return $"{isa} ({SimdWidthBits}-bit vectors{(HasFma ? ", FMA" : string.Empty)}), {ProcessorCount} logical cores";
    }
}
