using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The weighted Gram at d = 64, float64 and float32, three ways interleaved in one process (docs/passes.md, "The weighted rows
/// kept"): the accumulator's tiles (128 KiB of x) with the column and weight sums in <see cref="RowScaling"/>'s pass of their own,
/// with the sums in the kernels, and with the sums in the kernels and the pairs' weighted rows kept; each on one thread on one tile
/// in cache and on two threads streaming 2 GB (float64) or 1 GB (float32) of samples, each its own half, the next tile prefetched.
/// Then the accumulator through <see cref="SamplePass"/> over the same arrays with and without the next block's x (the prefetch
/// of each block's first tile). Prints the least and the median ns a sample of the rounds and GFLOP/s of d (d + 1) a sample at
/// the median.
/// Run: DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- gram-kept [rounds]
/// </summary>
internal static class GramKept
{
    private const int D = 64;

    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        One<double>(rounds);
        One<float>(rounds);
    }

    private static void One<T>(int rounds) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long n = (1L << 31) / (D * 8) / (2 * 4096) * (2 * 4096);
        var random = new Random(3);
        T[] x = new T[n * D], y = new T[n];
        for (long i = 0; i < x.LongLength; i++) x[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        for (long i = 0; i < y.LongLength; i++) y[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        var tiles = new[] { new TileRunner<T>(x, y), new TileRunner<T>(x, y) };
        var source = new InMemoryArrays<T>(D, x, y);
        string[] ways = ["RowScaling's pass", "sums in the kernels", "and kept rows"];
        var cached = new List<double>[3];
        var streamed = new List<double>[3];
        var passes = new List<double>[2];
        for (int q = 0; q < 3; q++) { cached[q] = []; streamed[q] = []; }
        passes[0] = []; passes[1] = [];
        for (int r = 0; r < rounds; r++)
        {
            for (int o = 0; o < 3; o++)
            {
                int way = (r + o) % 3;
                var clock = Stopwatch.StartNew();
                for (int q = 0; q < 4000; q++) tiles[0].Run(q % 2, way);
                cached[way].Add(clock.Elapsed.TotalSeconds / (4000.0 * TileRunner<T>.Tile) * 1e9);
                clock.Restart();
                var helper = new Thread(() => tiles[1].RunHalf(1, way));
                helper.Start();
                tiles[0].RunHalf(0, way);
                helper.Join();
                streamed[way].Add(clock.Elapsed.TotalSeconds / n * 1e9);
            }
            foreach (bool on in r % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                var clock = Stopwatch.StartNew();
                SamplePass.Run<T, Worker<T>>(source, () => new Worker<T>(on), new SamplePassOptions(2));
                passes[on ? 1 : 0].Add(clock.Elapsed.TotalSeconds / n * 1e9);
            }
        }
        Console.WriteLine($"d = {D}, {typeof(T).Name}, {rounds} rounds; ns a sample, least / median (GFLOP/s at the median):");
        Console.WriteLine($"{"tiles",-34} {ways[0],-28} {ways[1],-28} {ways[2],-28}");
        Console.WriteLine($"{"  1 thread, in cache",-34} {Format(cached[0]),-28} {Format(cached[1]),-28} {Format(cached[2]),-28}");
        Console.WriteLine($"{"  2 threads, streamed",-34} {Format(streamed[0]),-28} {Format(streamed[1]),-28} {Format(streamed[2]),-28}");
        Console.WriteLine($"{"SamplePass without / with the next block",-34} {Format(passes[0]),-28} {Format(passes[1]),-28}");
    }

    private static string Format(List<double> t)
    {
        t.Sort();
        double median = t[t.Count / 2];
        return string.Create(CultureInfo.InvariantCulture, $"{t[0],6:F2} / {median,6:F2} ({D * (D + 1) / median,5:F1})");
    }

    private sealed class TileRunner<T>(T[] x, T[] y) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static readonly int Tile = 131072 / (D * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        private static readonly int Panels = D / PrefixGemm.PanelWidth<T>();
        private readonly double[] _gram = new double[D * D];
        private readonly T[] _sums = new T[D];
        private readonly AlignedBuffer<T> _kept = new(PrefixGemm.KeptRowsLength<T>(Panels, Tile));
        private readonly long _tiles = y.LongLength / Tile;

        public void Run(long k, int way)
        {
            ReadOnlySpan<T> next = k + 1 < _tiles ? x.AsSpan((int)((k + 1) * Tile * D), Tile * D) : default;
            ReadOnlySpan<T> rows = x.AsSpan((int)(k * Tile * D), Tile * D), weights = y.AsSpan((int)(k * Tile), Tile);
            if (way == 0)
            {
                RowScaling.Run<T>(rows, D, weights, D, default, 0, _sums);
                PrefixGemm.RunUpperTriangle<T>(rows, D, rows, D, Tile, Panels, _gram, D, weights, next);
            }
            else PrefixGemm.RunUpperTriangleWithSums<T>(rows, D, rows, D, Tile, Panels, _gram, D, weights, _sums, D, next,
                way == 2 ? _kept.Span : default);
        }

        public void RunHalf(int half, int way)
        {
            for (long k = half * _tiles / 2; k < (half + 1) * _tiles / 2; k++) Run(k, way);
        }
    }

    private sealed class Worker<T>(bool nextBlock) : IMomentWorker<T, Worker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly WeightedGramAccumulator<T> _sums = new(D);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => _sums.Accumulate(x, y);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX) => _sums.Accumulate(x, y, nextBlock ? nextX : default);
        public void Merge(Worker<T> other) => _sums.Merge(other._sums);
    }
}
