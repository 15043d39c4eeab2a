using System.Diagnostics;
using System.Globalization;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The float64 weighted Gram at d = 64 both ways, interleaved in one process (docs/passes.md, "The weighted rows kept"): the tiles
/// through <see cref="PrefixGemm.RunUpperTriangleWithSums{T}"/> with and without the kept weighted rows (one thread on one tile in
/// cache; two threads streaming 2 GB of samples, each its own half, the next tile prefetched), and the accumulator through
/// <see cref="SamplePass"/> over the same arrays with and without the next block's x (the prefetch of each block's first tile).
/// Prints the least and the median ns a sample of the rounds and GFLOP/s of d (d + 1) a sample at the median.
/// Run: DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- gram-kept [rounds]
/// </summary>
internal static class GramKept
{
    private const int D = 64, Tile = 256, Panels = 8;

    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        long n = (1L << 31) / (D * 8) / (2 * 4096) * (2 * 4096);
        var random = new Random(3);
        double[] x = new double[n * D], y = new double[n];
        for (long i = 0; i < x.LongLength; i++) x[i] = random.NextDouble() - 0.5;
        for (long i = 0; i < y.LongLength; i++) y[i] = random.NextDouble() - 0.5;
        var tiles = new[] { new TileRunner(x, y), new TileRunner(x, y) };
        var source = new InMemoryArrays<double>(D, x, y);
        string[] names = ["tiles, 1 thread in cache", "tiles, 2 threads streamed", "SamplePass, 2 threads"];
        var times = new List<double>[3, 2];
        for (int q = 0; q < 3; q++) for (int k = 0; k < 2; k++) times[q, k] = [];
        for (int r = 0; r < rounds; r++)
        {
            foreach (bool on in r % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                int k = on ? 1 : 0;
                var clock = Stopwatch.StartNew();
                for (int q = 0; q < 4000; q++) tiles[0].Run(q % 2, on);
                times[0, k].Add(clock.Elapsed.TotalSeconds / (4000.0 * Tile) * 1e9);
                clock.Restart();
                var helper = new Thread(() => tiles[1].RunHalf(1, on));
                helper.Start();
                tiles[0].RunHalf(0, on);
                helper.Join();
                times[1, k].Add(clock.Elapsed.TotalSeconds / n * 1e9);
                clock.Restart();
                SamplePass.Run<double, Worker>(source, () => new Worker(on), new SamplePassOptions(2));
                times[2, k].Add(clock.Elapsed.TotalSeconds / n * 1e9);
            }
        }
        Console.WriteLine($"d = {D}, float64, {rounds} rounds; ns a sample, least / median (GFLOP/s at the median):");
        for (int q = 0; q < 3; q++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{names[q],-26} {(q < 2 ? "without / with kept rows" : "without / with the next block")}: {Format(times[q, 0])}  " +
                $"{Format(times[q, 1])}"));
    }

    private static string Format(List<double> t)
    {
        t.Sort();
        double median = t[t.Count / 2];
        return string.Create(CultureInfo.InvariantCulture, $"{t[0],6:F2} / {median,6:F2} ({D * (D + 1) / median,5:F1})");
    }

    private sealed class TileRunner(double[] x, double[] y)
    {
        private readonly double[] _gram = new double[D * D];
        private readonly double[] _sums = new double[D];
        private readonly AlignedBuffer<double> _kept = new(PrefixGemm.KeptRowsLength<double>(Panels, Tile));
        private readonly long _tiles = y.LongLength / Tile;

        public void Run(long k, bool keep)
        {
            ReadOnlySpan<double> next = k + 1 < _tiles ? x.AsSpan((int)((k + 1) * Tile * D), Tile * D) : default;
            ReadOnlySpan<double> rows = x.AsSpan((int)(k * Tile * D), Tile * D);
            PrefixGemm.RunUpperTriangleWithSums<double>(rows, D, rows, D, Tile, Panels, _gram, D, y.AsSpan((int)(k * Tile), Tile), _sums, D,
                next, keep ? _kept.Span : default);
        }

        public void RunHalf(int half, bool keep)
        {
            for (long k = half * _tiles / 2; k < (half + 1) * _tiles / 2; k++) Run(k, keep);
        }
    }

    private sealed class Worker(bool nextBlock) : IMomentWorker<double, Worker>
    {
        private readonly WeightedGramAccumulator<double> _sums = new(D);
        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => _sums.Accumulate(x, y);
        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> nextX) =>
            _sums.Accumulate(x, y, nextBlock ? nextX : default);
        public void Merge(Worker other) => _sums.Merge(other._sums);
    }
}
