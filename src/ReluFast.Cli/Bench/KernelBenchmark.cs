namespace ReluFast.Cli.Bench;

/// <summary>One kernel measured on one data set by both engines.</summary>
/// <param name="Name">weighted-gram, projected-3tensor or hermite-projection.</param>
/// <param name="Dtype">float32 or float64.</param>
/// <param name="D">Input dimension d (0 where the kernel has none).</param>
/// <param name="M">Projected or hidden dimension m (0 where the kernel has none).</param>
/// <param name="Samples">Samples per pass.</param>
/// <param name="Gflops">Useful GFLOP/s of the SIMD engine (see <see cref="MomentBenchmark.UsefulFlops"/>; an FMA counts 2).</param>
/// <param name="TorchGflops">The same useful flop count divided by libtorch's time.</param>
/// <param name="Speedup">Gflops / TorchGflops: libtorch's time over the SIMD engine's.</param>
/// <param name="AllocatedBytes">Bytes allocated by the worker's Accumulate in the steady state (per thread).</param>
/// <param name="Seconds">Best time of the SIMD pass.</param>
/// <param name="TorchSeconds">Best time of the libtorch computation (data already in tensors).</param>
/// <param name="RelativeError">float32 only: max |sum - reference| / max |reference| over all sums, against the float64 engine on the same
/// values.</param>
/// <remarks>
/// The SIMD pass reads the arrays in place (an <see cref="IInMemorySampleSource{T}"/>), as libtorch reads its tensors;
/// <see cref="GflopsCopied"/> is the same pass through the plain <see cref="ReluFast.Sampling.ISampleSource{T}.Read"/>, which copies every block.
/// </remarks>
internal sealed record KernelBenchmark(string Name, string Dtype, int D, int M, long Samples, double Gflops, double TorchGflops,
    double Speedup, long AllocatedBytes, double Seconds, double TorchSeconds, double? RelativeError)
{
    /// <summary>Weight vectors accumulated side by side (the projected 3-tensor: the learner's 1 + restarts; 1 elsewhere).</summary>
    public int Weights { get; init; } = 1;

    /// <summary>
    /// The most this kernel can do on the machine, in useful GFLOP/s (<see cref="MomentBenchmark.Limit"/>): the peak of its type, or the
    /// rate at which the read bandwidth brings its samples where that is lower (<see cref="MemoryBound"/>).
    /// </summary>
    public double LimitGflops { get; init; }

    /// <summary>Whether <see cref="LimitGflops"/> is the memory's (the samples' bytes at the read bandwidth) rather than the peak.</summary>
    public bool MemoryBound { get; init; }

    /// <summary>GFLOP/s of the SIMD pass when every block is copied out of the source (weighted Gram only, else null).</summary>
    public double? GflopsCopied { get; init; }
}
