using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Query efficiency of extraction (issue 15): random depth-2 networks queried as black boxes through <see cref="OracleSampleSource{T}"/>
/// (Gaussian queries only, each asked once: the response cache), learned with <see cref="ReluLearner"/>, then checked on fresh queries.
/// Reports queries (learning + check), wall time, the process's peak working set, the parameter errors against the hidden network
/// and the relative error on fresh queries. One size per process gives each its own peak working set.
/// <code>
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- extract d m N [threads=0] [refinement samples=10^5; 0: no refinement]
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- extract            (the sizes: 64/32, 256/64, 784/128)
/// </code>
/// The reference: Carlini, Jagielski and Mironov (CRYPTO 2020) extracted a 784-128-1 MNIST network in 2^21.5 chosen queries and about an hour.
/// </summary>
internal static class ExtractionBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The sizes (d, m) and the query counts run for them by default.</summary>
    private static readonly (int D, int M, long N)[] Sizes = [(64, 32, 1_000_000), (256, 64, 4_000_000), (784, 128, 8_000_000)];

    public static void Run(string[] args)
    {
        int threads = args.Length > 4 ? int.Parse(args[4], Inv) : 0;
        int refinement = args.Length > 5 ? (int)double.Parse(args[5], Inv) : new LearnerOptions().RefinementSamples;
        (int D, int M, long N)[] sizes = args.Length > 3 ? [(int.Parse(args[1], Inv), int.Parse(args[2], Inv), (long)double.Parse(args[3], Inv))]
            : Sizes;
        Console.WriteLine("| d | m | distinct queries | queries (learning + check) | log2 | time (s) | peak working set (MB) | w error | a error | " +
            "b error | relative error (fresh queries) |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (d, m, n) in sizes) One(d, m, n, threads, refinement);
    }

    private static void One(int d, int m, long n, int threads, int refinement)
    {
        var hidden = RandomTeacher.Create(new TeacherOptions(d, m), seed: 11);
        var oracle = new NetworkOracle<double>(hidden);
        var source = new OracleSampleSource<double>(oracle, n, seed: 12, cacheResponses: true);
        var clock = Stopwatch.StartNew();
        // m < d in every size: the full-rank learner (auto would choose it too, after a mode check).
        var options = refinement > 0 ? new LearnerOptions { Seed = 1, Threads = threads, RefinementSamples = refinement }
            : new LearnerOptions { Seed = 1, Threads = threads, Refine = false };
        var result = ReluLearner.Learn(source, options, LearnerMode.FullRank, new Throttled());
        var check = OracleComparison.Compare(result.Network, oracle, 10_000);
        double seconds = clock.Elapsed.TotalSeconds;
        var errors = NetworkComparison.Compare(result.Network, hidden, testSamples: 20_000);
        var start = result.MomentEstimate.Hidden == m ? result.MomentEstimate : result.Network;
        var moment = NetworkComparison.Compare(start, hidden, testSamples: 20_000);
        foreach (string line in result.Log) Console.Error.WriteLine(line);
        Console.Error.WriteLine(string.Create(Inv, $"timings: {result.Timings}; moment estimate w / a / b errors {moment.WError:E1} / " +
            $"{moment.AError:E1} / {moment.BError:E1}"));
        long queries = source.Queries + check.Queries;
        double peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;
        Console.WriteLine(string.Create(Inv,
            $"| {d} | {m} | {n:N0} | {queries:N0} | {Math.Log2(queries):F1} | {seconds:F1} | {peak:F0} | {errors.WError:E1} | {errors.AError:E1} | " +
            $"{errors.BError:E1} | {check.RelativeMse:E1} |"));
    }

    /// <summary>One line to standard error every 10 s.</summary>
    private sealed class Throttled : IProgress<LearningProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.FromSeconds(-10);

        public void Report(LearningProgress value)
        {
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(10)) return;
            _last = _clock.Elapsed;
            Console.Error.WriteLine(string.Create(Inv, $"[{_clock.Elapsed.TotalSeconds:F0} s] {value.Stage} " +
                $"{value.SamplesDone:N0}/{value.SamplesTotal:N0} {value.Message}"));
        }
    }
}
