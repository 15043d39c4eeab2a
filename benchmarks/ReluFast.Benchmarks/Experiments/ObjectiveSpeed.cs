using System.Diagnostics;
using System.Globalization;
using ReluFast.Learning;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Speed of refinement's squared-error kernel (<see cref="MseGradient.Accumulate"/>: loss and gradient of f over a block) at
/// the given (d, m, n), single thread, in GFLOP/s of its 4 n m d multiply-adds-worth of projections (forward and backward); and
/// the refinement objective's evaluation on all processors (<see cref="SimdMseObjective"/>: the kernel in a pass over the set),
/// with its speed-up over the one-thread kernel (the processor count at best).
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- objective [d,m,n ...]
/// </summary>
internal static class ObjectiveSpeed
{
    private const int Rounds = 25;

    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string[] sizes = args.Length > 1 ? args[1..] : ["20,10,20000", "50,25,40000", "64,32,65000", "128,64,20000"];
        Console.WriteLine($"| d | m | n | kernel, 1 thread: ms | GFLOP/s (4 n m d) | ns per sample | objective, {Environment.ProcessorCount} " +
            "threads: ms | speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (string size in sizes)
        {
            var parts = size.Split(',');
            int d = int.Parse(parts[0], inv), m = int.Parse(parts[1], inv), n = int.Parse(parts[2], inv);
            var x = new double[n * d];
            var y = new double[n];
            new CounterGaussian(1, key: 1).Fill(0, x);
            new CounterGaussian(2, key: 1).Fill(0, y);
            var p = new double[MseGradient.ParameterCount(m, d)];
            new CounterGaussian(3, key: 1).Fill(0, p);
            var g = new double[p.Length];
            var scratch = new double[MseGradient.ScratchLength(m, d)];
            double seconds = double.PositiveInfinity;
            for (int round = 0; round < Rounds; round++)
            {
                // the best of the rounds: the machine may be shared
                var clock = Stopwatch.StartNew();
                MseGradient.Accumulate(x, y, p, m, d, g, scratch);
                seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
            }
            using var objective = new SimdMseObjective(x, y, d);
            double all = double.PositiveInfinity;
            for (int round = 0; round < Rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                objective.Evaluate(p, g, m);
                all = Math.Min(all, clock.Elapsed.TotalSeconds);
            }
            Console.WriteLine(string.Create(inv, $"| {d} | {m} | {n} | {seconds * 1e3:F2} | {4.0 * n * m * d / seconds / 1e9:F1} | " +
                $"{seconds / n * 1e9:F0} | {all * 1e3:F2} | {seconds / all:F2} |"));
        }
    }
}
