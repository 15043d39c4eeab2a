using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using ReluFast.Moments;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The weighted Gram accumulator alone, one weight, float64 and float32 (docs/passes.md, "Narrow rows against the memory"): one
/// 4096-sample block accumulated again and again on one thread (in cache), and 2 GB of samples streamed from memory in blocks of
/// 4096 by two threads, each its own half, and the same arrays through SamplePass (what `relufast bench` measures). Prints ns a
/// sample, the bytes read a second and useful GFLOP/s (d (d + 1) a sample); the last two agree within this machine's noise.
/// Run: DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- gram-stream [d[,d...]]
/// </summary>
internal static class GramStream
{
    private const int Block = 4096;

    public static void Run(string[] args)
    {
        foreach (string part in (args.Length > 1 ? args[1] : "16,32,64").Split(','))
        {
            int d = int.Parse(part, CultureInfo.InvariantCulture);
            One<double>(d);
            One<float>(d);
        }
    }

    private static void One<T>(int d) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long n = (1L << 31) / (d * 8) / (2 * Block) * (2 * Block); // 2 GB of float64, two halves of whole blocks
        var random = new Random(3);
        T[] x = new T[n * d], y = new T[n];
        for (long i = 0; i < x.LongLength; i++) x[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        for (long i = 0; i < y.LongLength; i++) y[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        var one = new WeightedGramAccumulator<T>(d);
        double cached = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int q = 0; q < 200; q++) one.Accumulate(x.AsSpan(0, Block * d), y.AsSpan(0, Block));
            cached = Math.Min(cached, clock.Elapsed.TotalSeconds / (200.0 * Block));
        }
        var halves = new[] { new WeightedGramAccumulator<T>(d), new WeightedGramAccumulator<T>(d) };
        double streamed = double.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            var clock = Stopwatch.StartNew();
            var threads = new Thread[2];
            for (int t = 0; t < 2; t++)
            {
                int id = t;
                threads[t] = new Thread(() =>
                {
                    for (long k = id * n / 2; k < (id + 1) * n / 2; k += Block)
                        halves[id].Accumulate(x.AsSpan((int)(k * d), Block * d), y.AsSpan((int)k, Block));
                });
                threads[t].Start();
            }
            foreach (Thread thread in threads) thread.Join();
            streamed = Math.Min(streamed, clock.Elapsed.TotalSeconds / n);
        }
        double passed = double.MaxValue;
        var source = new InMemoryArrays<T>(d, x, y);
        for (int r = 0; r < 3; r++)
        {
            var clock = Stopwatch.StartNew();
            SamplePass.Run<T, Worker<T>>(source, () => new Worker<T>(d), new SamplePassOptions(2));
            passed = Math.Min(passed, clock.Elapsed.TotalSeconds / n);
        }
        int size = typeof(T) == typeof(float) ? 4 : 8;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"d = {d,3} {typeof(T).Name,-6}: in cache, 1 thread " +
            $"{cached * 1e9,6:F2} ns/sample; streamed, 2 threads {streamed * 1e9,6:F2} ns/sample = {(d + 1) * size / streamed / 1e9:F1} GB/s, " +
            $"{(double)d * (d + 1) / streamed / 1e9:F1} GFLOP/s; through SamplePass {(double)d * (d + 1) / passed / 1e9:F1} GFLOP/s"));
    }

    private sealed class Worker<T>(int d) : IMomentWorker<T, Worker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly WeightedGramAccumulator<T> _sums = new(d);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => _sums.Accumulate(x, y);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX) => _sums.Accumulate(x, y, nextX);
        public void Merge(Worker<T> other) => _sums.Merge(other._sums);
    }
}
