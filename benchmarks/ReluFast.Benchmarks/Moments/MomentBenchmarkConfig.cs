using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ReluFast.Benchmarks.Moments;

/// <summary>
/// One short in-process job per benchmark (3 warm-ups, 8 iterations) with the memory diagnoser, so a whole suite
/// runs in minutes. In-process, because the host's libtorch natives (and their load fix) are in this build's output.
/// </summary>
internal sealed class MomentBenchmarkConfig : ManualConfig
{
    public MomentBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(8).WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
