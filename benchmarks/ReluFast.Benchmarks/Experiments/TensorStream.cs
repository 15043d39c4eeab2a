using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using ReluFast.Learning;
using ReluFast.Moments;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The projected 3-tensor accumulator alone, in cache on one thread, as pass 2 keeps it (the learner's weights, the 3-tensors
/// without their lower degrees; docs/passes.md, "The sample lanes for pass 2's 3-tensors"): one 4096-sample block accumulated
/// again and again. Prints ns a sample, useful GFLOP/s (L m (m + 1)(m + 2)
/// / 3 a sample, the count of `relufast bench`) and the path taken (sample lanes or panels) with its multiply-adds a sample.
/// Run: DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- tensor-stream [m[,m...]] [seconds]
/// [double|mixed|float] (all three by default: float64, float64 with float32 products (TensorPrecision.Mixed), float32; the best
/// of 20-block repeats over the given seconds, 1 by default).
/// </summary>
internal static class TensorStream
{
    private const int Block = 4096;

    /// <summary>The learner's weights per pass 2 sample (Restarts), as `relufast bench` takes them.</summary>
    private static readonly int Weights = new LearnerOptions().Restarts;

    public static void Run(string[] args)
    {
        double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        foreach (string part in (args.Length > 1 ? args[1] : "8,16,32").Split(','))
        {
            int m = int.Parse(part, CultureInfo.InvariantCulture);
            string only = args.Length > 3 ? args[3] : "";
            if (only != "float") One<double>(m, seconds);
            if (only is "" or "mixed") One<double>(m, seconds, singleProducts: true);
            if (only is "" or "float") One<float>(m, seconds);
        }
    }

    private static void One<T>(int m, double seconds, bool singleProducts = false) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var random = new Random(3);
        T[] z = new T[Block * m], c = new T[Block * Weights];
        for (int i = 0; i < z.Length; i++) z[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        for (int i = 0; i < c.Length; i++) c[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        var acc = new ProjectedTensorAccumulator<T>(m, Weights, lowerDegrees: false, singleProducts);
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || best == double.MaxValue)
        {
            var clock = Stopwatch.StartNew();
            for (int q = 0; q < 20; q++) acc.Accumulate(z, c);
            best = Math.Min(best, clock.Elapsed.TotalSeconds / (20.0 * Block));
        }
        double flops = Weights * m * (m + 1.0) * (m + 2) / 3;
        // the same accumulator through SamplePass on two threads over arrays in memory, as `relufast bench` runs it, at 250,000
        // samples (the bench's count) and at 4,000,000
        var passed = new List<string>();
        foreach (int n in new[] { 250_000, 4_000_000 })
        {
            T[] zn = new T[(long)n * m], yn = new T[n];
            for (long i = 0; i < zn.LongLength; i++) zn[i] = z[i % z.Length];
            for (int i = 0; i < n; i++) yn[i] = c[i % Block];
            var source = new InMemoryArrays<T>(m, zn, yn);
            double least = double.MaxValue;
            for (int r = 0; r < 5; r++)
            {
                var clock = Stopwatch.StartNew();
                SamplePass.Run<T, ProjectedTensorTimingWorker<T>>(source, () => new(m, Weights, singleProducts), new SamplePassOptions(2));
                least = Math.Min(least, clock.Elapsed.TotalSeconds);
            }
            passed.Add(string.Create(CultureInfo.InvariantCulture, $"{flops * n / least / 1e9:F1}"));
        }
        string type = acc.UsesSingleProducts ? "Double, float32 products" : typeof(T).Name;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"m = {m,3} {type,-6}: in cache, 1 thread {best * 1e9,7:F2} ns/sample, {flops / best / 1e9,6:F1} GFLOP/s; " +
            $"2 threads through SamplePass at N = 250,000 / 4,000,000: {passed[0]} / {passed[1]} GFLOP/s; " +
            $"{(acc.UsesSampleLanes ? $"sample lanes, {acc.LaneMultiplyAdds} multiply-adds a sample"
                : acc.UsesSingleProducts ? "a float32 accumulator per block" : $"panels, {acc.KernelLanes} lanes a sample")}"));
    }
}
