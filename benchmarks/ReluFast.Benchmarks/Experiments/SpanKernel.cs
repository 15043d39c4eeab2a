using System.Diagnostics;
using System.Globalization;
using ReluFast.Moments;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The span pass's accumulation side by side, one thread, blocks of 4096 in-cache samples (docs/passes.md, "The span pass from
/// distinct monomials"): the Gram of the features [svec(x x^T); x] built per block (the path before) against
/// <see cref="QuarticMonomialAccumulator{T}"/>, both for three weights, with their multiply-adds per sample.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- span d[,d...]
/// </summary>
internal static class SpanKernel
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (string part in (args.Length > 1 ? args[1] : "10,16,20,23").Split(','))
        {
            int d = int.Parse(part, inv), n = 4096, dim = d * (d + 1) / 2, f = dim + d;
            const int weights = 3;
            var rnd = new Random(3);
            double[] x = new double[n * d], w = new double[n * weights], features = new double[n * f];
            for (int i = 0; i < x.Length; i++) x[i] = rnd.NextDouble() - 0.5;
            for (int i = 0; i < w.Length; i++) w[i] = rnd.NextDouble() - 0.5;
            var gram = new WeightedGramAccumulator<double>(f, weights);
            double before = Time(() =>
            {
                SymmetricCoordinates.Features<double>(x, d, features, f);
                for (int j = 0; j < n; j++) x.AsSpan(j * d, d).CopyTo(features.AsSpan(j * f + dim, d));
                gram.Accumulate(features, w);
            }, n);
            var monomials = new QuarticMonomialAccumulator<double>(d, weights);
            double after = Time(() => monomials.Accumulate(x, w), n);
            int stride = (f + 7) / 8 * 8;
            long gramLanes = weights * 8L * (stride / 8) * (stride / 8 + 1) / 2 * 8;
            Console.WriteLine(string.Create(inv, $"d = {d,2}: Gram of the features {before * 1e9,8:F1} ns/sample ({gramLanes} lanes), " +
                $"distinct monomials {after * 1e9,8:F1} ns/sample ({monomials.KernelLanes} lanes): x{before / after:F2}"));
        }
    }

    private static double Time(Action action, int n)
    {
        for (int r = 0; r < 20; r++) action();
        double best = double.MaxValue;
        for (int r = 0; r < 7; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int q = 0; q < 20; q++) action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / (20.0 * n));
        }
        return best;
    }
}
