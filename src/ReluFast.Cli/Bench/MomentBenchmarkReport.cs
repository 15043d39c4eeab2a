namespace ReluFast.Cli.Bench;

/// <summary>The machine's peak estimate and every kernel measured.</summary>
/// <param name="PeakGflops">float64 peak: cores x float64 lanes x <paramref name="FmaPipes"/> x 2 flops x clock (float32: twice that).</param>
/// <param name="ClockGhz">Clock measured with a chain of dependent integer additions (one per cycle).</param>
/// <param name="Cores">Logical processors used.</param>
/// <param name="Float64Lanes">float64 lanes of the widest accelerated vector.</param>
/// <param name="FmaPipes">Full-width vector FMAs per cycle and core, read off the measured FMA throughput (1 or 2).</param>
/// <param name="MeasuredFmaGflops">float64 FMA throughput measured on all cores (independent register FMAs).</param>
/// <param name="Threads">SamplePass threads of the SIMD engine.</param>
/// <param name="TorchThreads">libtorch's default intra-op threads (each baseline is the better of these and one thread).</param>
/// <param name="Kernels">The measurements.</param>
internal sealed record MomentBenchmarkReport(double PeakGflops, double ClockGhz, int Cores, int Float64Lanes, int FmaPipes, double MeasuredFmaGflops,
    int Threads, int TorchThreads, IReadOnlyList<KernelBenchmark> Kernels)
{
    /// <summary>Bytes a second that <see cref="Cores"/> threads read from memory (ReluFast.Interop.MachinePeak.MeasureReadBandwidth).</summary>
    public double ReadBandwidth { get; init; }
}
