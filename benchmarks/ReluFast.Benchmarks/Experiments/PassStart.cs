using System.Diagnostics;
using System.Globalization;
using ReluFast.Moments;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// What a pass costs around its blocks (docs/passes.md, "Pass threads kept"): the weighted Gram through <see cref="SamplePass"/> on
/// all cores, at d = 64 over 10^6 float64 samples (the row of <c>relufast bench</c>) and at d = 10 over 10^5 (a small learner's
/// pass), each pass timed whole and, on each thread, from the pass's call to its first block and to the end of its last. The
/// first block's start is the pass's fixed cost (its workers made, its threads started or woken); the ends' difference is the
/// time one thread waited for the other. Prints the median of the rounds and, for the Gram at d >= 64, GFLOP/s of d (d + 1) a
/// sample, and the same pass with its blocks copied out of the arrays (as a .npy's or a generated stream's are), interleaved.
/// Further arguments d,N name other shapes (e.g. 256,250000, the bench's d = 256 row).
/// Run: DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- pass-start [rounds] [d,N ...]
/// </summary>
internal static class PassStart
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        if (args.Length > 2)
        {
            // further arguments: d,N pairs
            foreach (string shape in args.Skip(2))
            {
                string[] parts = shape.Split(',');
                One(int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), rounds);
            }
            return;
        }
        One(64, 1_000_000, rounds);
        One(10, 100_000, rounds);
    }

    private static void One(int d, long n, int rounds)
    {
        var random = new Random(3);
        double[] x = new double[n * d], y = new double[n];
        for (long i = 0; i < x.LongLength; i++) x[i] = random.NextDouble() - 0.5;
        for (long i = 0; i < y.LongLength; i++) y[i] = random.NextDouble() - 0.5;
        var source = new InMemoryArrays<double>(d, x, y);
        var copied = new ReluFast.Sampling.ArraySampleSource<double>(x, y, d); // reads copy every block
        var wall = new List<double>();
        var wallCopied = new List<double>();
        var firstStart = new List<double>();
        var lastStart = new List<double>();
        var wait = new List<double>();
        for (int r = 0; r < rounds + 2; r++)
        {
            // the same pass with its blocks copied (the plain ISampleSource contract: .npy files, generated samples), interleaved
            var ignored = new Timeline(Stopwatch.GetTimestamp());
            SamplePass.Run<double, Worker>(copied, () => new Worker(d, ignored), new SamplePassOptions(0));
            double copiedSeconds = Stopwatch.GetElapsedTime(ignored.Start).TotalSeconds;
            var timeline = new Timeline(Stopwatch.GetTimestamp());
            SamplePass.Run<double, Worker>(source, () => new Worker(d, timeline), new SamplePassOptions(0));
            double seconds = Stopwatch.GetElapsedTime(timeline.Start).TotalSeconds;
            if (r < 2) continue; // the JIT's and the first pages' round
            wall.Add(seconds * 1e3);
            wallCopied.Add(copiedSeconds * 1e3);
            var threads = timeline.Threads.Values;
            firstStart.Add(threads.Min(t => t.First) * 1e3);
            lastStart.Add(threads.Max(t => t.First) * 1e3);
            wait.Add((threads.Max(t => t.Last) - threads.Min(t => t.Last)) * 1e3);
        }
        double median = Median(wall), medianCopied = Median(wallCopied);
        Console.WriteLine($"d = {d}, N = {n}, {Environment.ProcessorCount} threads, {rounds} rounds, medians: pass {median:F3} ms" +
            (d >= 64 ? $" ({(double)n * d * (d + 1) / (median * 1e-3) / 1e9:F1} GFLOP/s)" : string.Empty) +
            $", first block begun at {Median(firstStart):F3} ms on the first thread and {Median(lastStart):F3} ms on the last, " +
            $"threads' ends {Median(wait):F3} ms apart; blocks copied {medianCopied:F3} ms" +
            (d >= 64 ? $" ({(double)n * d * (d + 1) / (medianCopied * 1e-3) / 1e9:F1} GFLOP/s)" : string.Empty));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Per pass thread, the time from the pass's call to the start of its first block and to the end of its last.</summary>
    private sealed class Timeline(long start)
    {
        public long Start { get; } = start;
        public Dictionary<int, (double First, double Last)> Threads { get; } = [];

        public void Block(double begun, double ended)
        {
            lock (Threads)
            {
                int id = Environment.CurrentManagedThreadId;
                Threads[id] = Threads.TryGetValue(id, out var seen) ? (seen.First, ended) : (begun, ended);
            }
        }
    }

    private sealed class Worker(int d, Timeline timeline) : IMomentWorker<double, Worker>
    {
        private readonly WeightedGramAccumulator<double> _gram = new(d);

        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => Accumulate(x, y, default);

        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> nextX)
        {
            double begun = Stopwatch.GetElapsedTime(timeline.Start).TotalSeconds;
            _gram.Accumulate(x, y, nextX);
            timeline.Block(begun, Stopwatch.GetElapsedTime(timeline.Start).TotalSeconds);
        }

        public void Merge(Worker other) => _gram.Merge(other._gram);

        // the segments of the learner's passes (a build without them takes the fixed ranges and ignores these)
        public bool CanReset => true;

        public void Reset() => _gram.Reset();
    }
}
