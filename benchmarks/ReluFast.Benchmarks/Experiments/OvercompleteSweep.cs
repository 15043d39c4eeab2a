using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The overcomplete issue's table: noiseless teachers with (d, m) = (8, 16) and (12, 30), b_i uniform in [-1, 1],
/// |a_i| in [0.5, 1.5], seeds 1..S: the overcomplete learner (all errors below 1e-3 after refinement?), side by side
/// with random-start L-BFGS and Adam on the same refinement/held-out samples and the same wall-clock budget.
/// Parameter errors after the same flip convention for every method (smallest linear remainder).
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- overcomplete [seeds] [d m N ...] [--no-baselines] [--log] [--given-m]
/// [--pencil] [--seed=S]
/// </summary>
internal static class OvercompleteSweep
{
    private const double Success = 1e-3;
    private static bool s_pencil;

    public static void Run(string[] args)
    {
        var numbers = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal))
            .Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        int seeds = numbers.Length > 0 ? (int)numbers[0] : 10;
        bool baselines = !args.Contains("--no-baselines");
        bool log = args.Contains("--log");
        bool givenM = args.Contains("--given-m");
        s_pencil = args.Contains("--pencil");
        var cases = new List<(int D, int M, long N)>();
        for (int i = 1; i + 2 < numbers.Length; i += 3) cases.Add(((int)numbers[i], (int)numbers[i + 1], numbers[i + 2]));
        if (cases.Count == 0) cases.AddRange([(8, 16, 4_000_000), (12, 30, 10_000_000)]);
        ulong firstSeed = args.FirstOrDefault(a => a.StartsWith("--seed=", StringComparison.Ordinal)) is string s
            ? ulong.Parse(s[7..], CultureInfo.InvariantCulture)
            : 1;
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical processors (shared with other jobs: times are wall-clock under load)");
        foreach (var (d, m, n) in cases) Table(d, m, n, seeds, firstSeed, baselines, log, givenM);
    }

    private static void Table(int d, int m, long n, int seeds, ulong firstSeed, bool baselines, bool log, bool givenM)
    {
        Console.WriteLine($"## d = {d}, m = {m}, N = {n:N0}, noiseless, b uniform in [-1, 1], |a| in [0.5, 1.5]");
        Console.WriteLine("| seed | method | w-error | a-error | b-error | relative test MSE | " +
            "moment-only w-error (up to flips) | estimated m | time (s) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var ok = new Dictionary<string, int> { ["moments"] = 0, ["L-BFGS"] = 0, ["Adam"] = 0 };
        var times = new List<double>();
        const int TrainSamples = 100_000, HeldOut = 50_000;
        for (ulong seed = firstSeed; seed < firstSeed + (ulong)seeds; seed++)
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m, BiasRange: 1), seed);
            var source = new TeacherSampleSource<double>(teacher, n, seed + 1000);
            var clock = Stopwatch.StartNew();
            var result = ReluLearner.Learn(source, new LearnerOptions
            {
                Seed = seed,
                RefinementSamples = TrainSamples,
                HeldOutSamples = HeldOut,
                Hidden = givenM ? m : null,
                OvercompletePencil = s_pencil
            }, LearnerMode.Overcomplete);
            double budget = clock.Elapsed.TotalSeconds;
            times.Add(budget);
            if (log)
            {
                foreach (string line in result.Log) Console.WriteLine("    " + line);
                var t = result.Timings;
                Console.WriteLine($"    timings (s): pilot {t.Pilot.TotalSeconds:F1}, pass 1 {t.SecondMoments.TotalSeconds:F1}, " +
                    $"span+projected passes {t.HigherMoments.TotalSeconds:F1}, decomposition {t.Decomposition.TotalSeconds:F1}, " +
                    $"coefficients {t.Coefficients.TotalSeconds:F1}, refinement {t.Refinement.TotalSeconds:F1}");
            }
            double moment = result.MomentEstimate.Hidden == m ? DirectionError(result.MomentEstimate, teacher) : double.NaN;
            ok["moments"] += Row(seed, "moments", result.Network, teacher, moment, result.Hidden.ToString(CultureInfo.InvariantCulture), budget);
            if (!baselines) continue;
            var x = new double[(TrainSamples + HeldOut) * d];
            var y = new double[TrainSamples + HeldOut];
            source.Read(0, x, y);
            foreach (var (name, optimizer) in new[] { ("L-BFGS", BaselineOptimizer.Lbfgs), ("Adam", BaselineOptimizer.Adam) })
            {
                var baseline = RandomStartTraining.Train(x.AsSpan(0, TrainSamples * d), y.AsSpan(0, TrainSamples), x.AsSpan(TrainSamples * d),
                    y.AsSpan(TrainSamples), d, m, new RandomStartOptions(optimizer, TimeSpan.FromSeconds(budget), MaxRestarts: 8, Seed: seed));
                var network = LinearRemainderFlips.Minimize(baseline.Network, out _);
                ok[name] += Row(seed, $"random-start {name} ({baseline.Restarts} restarts)", network, teacher, double.NaN, "-",
                    baseline.Elapsed.TotalSeconds);
            }
        }
        string others = baselines ? $", random-start L-BFGS {ok["L-BFGS"]}/{seeds}, random-start Adam {ok["Adam"]}/{seeds}" : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"success (all errors < 1e-3): moments {ok["moments"]}/{seeds}{others}; " +
            $"moments median time {times.Order().ElementAt(times.Count / 2):F1} s, max {times.Max():F1} s"));
        Console.WriteLine();
    }

    /// <summary>max over matched neurons of min(|w - w'|, |w + w'|): the moment estimate's direction error, whatever its flips.</summary>
    private static double DirectionError(ReluNetwork model, ReluNetwork teacher)
    {
        var a = model.Normalized();
        var t = teacher.Normalized();
        int[] matching = NetworkComparison.MatchNeurons(a, t);
        double worst = 0;
        for (int i = 0; i < t.Hidden; i++)
        {
            if (matching[i] < 0) return double.PositiveInfinity;
            double dot = System.Numerics.Tensors.TensorPrimitives.Dot(t.WeightsOf(i), a.WeightsOf(matching[i]));
            worst = Math.Max(worst, Math.Sqrt(Math.Max(0, 2 - 2 * Math.Abs(dot))));
        }
        return worst;
    }

    private static int Row(ulong seed, string method, ReluNetwork network, ReluNetwork teacher, double momentW, string m, double seconds)
    {
        var cmp = NetworkComparison.Compare(network, teacher, 100_000);
        bool success = cmp.WError < Success && cmp.AError < Success && cmp.BError < Success;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {seed} | {method} | {cmp.WError:E2} | {cmp.AError:E2} | {cmp.BError:E2} | " +
            $"{cmp.RelativeTestMse:E2} | {momentW:E2} | {m} | {seconds:F1} |"));
        return success ? 1 : 0;
    }
}
