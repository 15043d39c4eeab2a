using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// Runs only where the hardware has 512-bit vectors (AVX-512); elsewhere it is skipped with a reason that says which widths
/// the kernel tests ran at instead (tests can force narrower widths, never wider ones), so the gap shows in every test run.
/// </summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Vector512.IsHardwareAccelerated)
            Skip = $"no AVX-512 on this machine (Vector512 not hardware-accelerated): the 512-bit kernels did not run; " +
                $"the kernel tests ran at {HardwareWidthsRun()}";
    }

    /// <summary>The widths the kernel theories reach here: the hardware's (width 0) and the forced narrower ones.</summary>
    internal static string HardwareWidthsRun() => Vector256.IsHardwareAccelerated ? "256 bits and scalar (64)" : "scalar (64) only";
}

/// <summary>Which SIMD width the kernels take, and that on AVX-512 hardware the 512-bit kernels run and are right.</summary>
[Collection(MomentCollection.Name)]
public class SimdWidthTests
{
    private static int HardwareWidth => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 64;

    [Fact]
    public void TheKernelsTakeTheWidestAcceleratedWidthUnlessANarrowerOneIsForced()
    {
        // Width 0 in the kernel theories means this; if the dispatch stopped short of the hardware, they would test less.
        WithWidth(0, () => Assert.Equal(HardwareWidth, Simd.WidthBits));
        WithWidth(256, () => Assert.Equal(Math.Min(256, HardwareWidth), Simd.WidthBits));
        WithWidth(64, () => Assert.Equal(64, Simd.WidthBits));
        Assert.Equal(ReluFast.Interop.HardwareInfo.SimdWidthBits, HardwareWidth);
    }

    /// <summary>
    /// A forced width reaches the threads the forcing code starts (a pass's workers) and no other thread: a learner running beside
    /// a narrow-width test once took the scalar kernels and wrote other last bits (CI: auto in the test process differed from
    /// the same command in a separate process).
    /// </summary>
    [Fact]
    public void AForcedWidthStaysWithTheCodeThatForcedIt()
    {
        using var forced = new ManualResetEventSlim();
        using var read = new ManualResetEventSlim();
        int besideWidth = -1, startedWidth = -1;
        Thread beside;
        using (ExecutionContext.SuppressFlow())
        {
            beside = new Thread(() =>
            {
                forced.Wait();
                besideWidth = Simd.WidthBits;
                read.Set();
            });
            beside.Start();
        }
        WithWidth(64, () =>
        {
            forced.Set();
            Assert.True(read.Wait(TimeSpan.FromMinutes(1)), "the other thread did not read the width");
            var started = new Thread(() => startedWidth = Simd.WidthBits);
            started.Start();
            started.Join();
        });
        beside.Join();
        Assert.Equal(HardwareWidth, besideWidth);
        Assert.Equal(64, startedWidth);
    }

    [Avx512Fact]
    public void The512BitKernelsRunAndMatchTheScalarReferences()
    {
        // Every kernel family at the hardware width, on shapes that use whole 512-bit vectors and remainders.
        WithWidth(0, () => Assert.Equal(512, Simd.WidthBits));
        new WeightedGramAccumulatorTests().DoubleMatchesScalarReference(17, 2, 999, 0);
        new WeightedGramAccumulatorTests().FloatMatchesScalarReference(33, 1, 613, 0);
        new ProjectedTensorAccumulatorTests().DoubleMatchesScalarReference(17, 2, 250, 0);
        new ProjectedTensorAccumulatorTests().FloatMatchesScalarReference(33, 1, 120, 0);
        new HermiteProjectionAccumulatorTests().MatchesScalarReference(20, 13, 257, 2, 0);
        new ProjectionTests().MatchesScalarReference(33, 17, 10, 0);
        new ControlVariateTests().ApplyMatchesEvaluate(2, 33, 0);
        Assert.Contains(512, WidthsRun);
    }
}
