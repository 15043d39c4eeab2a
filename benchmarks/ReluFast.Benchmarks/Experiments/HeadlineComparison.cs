using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The headline table: the method of moments against the same network trained from random initialisations
/// (L-BFGS, and Adam through TorchSharp, several restarts), on the same samples and the same time budget —
/// the wall-clock time the method of moments took, end to end. Success: all three parameter errors below 1e-3.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- headline [seeds] [d,m,N]
/// (without d,m,N: (10, 5, 1e6), (20, 10, 2e6) and (32, 16, 1e7)).
/// </summary>
internal static class HeadlineComparison
{
    private const double Success = 1e-3;

    public static void Run(string[] args)
    {
        int seeds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        Console.WriteLine("| d | m | N | method | success (errors < 1e-3) | median w-error | median relative test MSE | median time (s) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        (int, int, long)[] sizes = [(10, 5, 1_000_000), (20, 10, 2_000_000), (32, 16, 10_000_000)];
        if (args.Length > 2)
        {
            string[] size = args[2].Split(',');
            sizes = [(int.Parse(size[0], CultureInfo.InvariantCulture), int.Parse(size[1], CultureInfo.InvariantCulture),
                (long)double.Parse(size[2], CultureInfo.InvariantCulture))];
        }
        foreach (var (d, m, n) in sizes) Compare(d, m, n, seeds);
    }

    private static void Compare(int d, int m, long n, int seeds)
    {
        var rows = new Dictionary<string, List<(bool Ok, double W, double Mse, double Time)>>
        {
            ["method of moments"] = [], ["random-start L-BFGS"] = [], ["random-start Adam"] = [],
        };
        const int TrainSamples = 100_000, HeldOut = 50_000;
        for (ulong seed = 1; seed <= (ulong)seeds; seed++)
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
            var source = new TeacherSampleSource<double>(teacher, n, seed + 1000);
            var clock = Stopwatch.StartNew();
            var result = ReluLearner.Learn(source,
                new LearnerOptions { Hidden = m, Seed = seed, RefinementSamples = TrainSamples, HeldOutSamples = HeldOut });
            double budget = clock.Elapsed.TotalSeconds;
            Add(rows["method of moments"], result.Network, teacher, budget);

            // The baselines see the same first samples the refinement and held-out sets came from.
            var x = new double[(TrainSamples + HeldOut) * d];
            var y = new double[TrainSamples + HeldOut];
            source.Read(0, x, y);
            foreach (var (name, optimizer) in
                new[] { ("random-start L-BFGS", BaselineOptimizer.Lbfgs), ("random-start Adam", BaselineOptimizer.Adam) })
            {
                var baseline = RandomStartTraining.Train(x.AsSpan(0, TrainSamples * d), y.AsSpan(0, TrainSamples), x.AsSpan(TrainSamples * d),
                    y.AsSpan(TrainSamples), d, m, new RandomStartOptions(optimizer, TimeSpan.FromSeconds(budget), MaxRestarts: 8, Seed: seed));
                Add(rows[name], baseline.Network, teacher, baseline.Elapsed.TotalSeconds);
            }
        }
        foreach (var (name, list) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {d} | {m} | {n:N0} | {name} | {list.Count(r => r.Ok)}/{list.Count} | {Median(list.Select(r => r.W)):E2} | " +
                $"{Median(list.Select(r => r.Mse)):E2} | {Median(list.Select(r => r.Time)):F1} |"));
        }
    }

    private static void Add(List<(bool, double, double, double)> list, ReluNetwork network, ReluNetwork teacher, double seconds)
    {
        var cmp = NetworkComparison.Compare(network, teacher, 100_000);
        list.Add((cmp.WError < Success && cmp.AError < Success && cmp.BError < Success, cmp.WError, cmp.RelativeTestMse, seconds));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
