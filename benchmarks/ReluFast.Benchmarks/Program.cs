using BenchmarkDotNet.Running;
using ReluFast.Benchmarks.Experiments;

namespace ReluFast.Benchmarks;

internal static class Program
{
    /// <summary>
    /// BenchmarkDotNet suites by default; <c>sweep</c>, <c>headline</c> and <c>overcomplete</c> run the learner
    /// experiments whose tables the README reports; <c>scale</c> measures large-N learning (time, samples/s, peak working set);
    /// <c>passes</c> accounts for the time of each streamed pass against the machine's limit (docs/passes.md), <c>passes-npy</c> for the
    /// passes over a pair of .npy files; <c>span</c> times the span
    /// pass's accumulation both ways; <c>gram-stream</c> the weighted Gram alone, in cache and streamed from memory; <c>gram-kept</c>
    /// the float64 Gram at d = 64 with and without its kept weighted rows and the next block's prefetch;
    /// <c>pass-start</c> what a pass costs around its blocks (its start, one thread waiting for the other);
    /// <c>extract</c> measures extraction through the oracle path
    /// (queries, time, memory, errors); <c>trained</c> extracts the networks trained on real data (Fixtures/Trained).
    /// </summary>
    private static void Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "span": SpanKernel.Run(args); break;
            case "gram-stream": GramStream.Run(args); break;
            case "gram-kept": GramKept.Run(args); break;
            case "tensor-stream": TensorStream.Run(args); break;
            case "sweep": SuccessRateSweep.Run(args); break;
            case "headline": HeadlineComparison.Run(args); break;
            case "scale": ScaleExperiment.Run(args); break;
            case "overcomplete": OvercompleteSweep.Run(args); break;
            case "fingerprint": LearnerFingerprint.Run(args); break;
            case "decomposition": DecompositionSweep.Run(args); break;
            case "extract": ExtractionBenchmark.Run(args); break;
            case "cramer-rao": CramerRaoExperiment.Run(args); break;
            case "gaussian-law": GaussianLawSweep.Run(args); break;
            case "law-conditioning": LawConditioning.Run(args); break;
            case "large": LargeSweep.Run(args); break;
            case "weak": WeakNeuronSweep.Run(args); break;
            case "objective": ObjectiveSpeed.Run(args); break;
            case "passes": PassAccount.Run(args); break;
            case "passes-npy": NpyPassAccount.Run(args); break;
            case "pass-start": PassStart.Run(args); break;
            case "trained": TrainedExtraction.Run(args); break;
            case "nongaussian": NonGaussianSweep.Run(args); break;
            case "timeline": LearnTimeline.Run(args); break;
            case "trace": RefinementTrace.Run(args); break;
            case "fisher": FisherTime.Run(args); break;
            default: BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args); break;
        }
    }
}
