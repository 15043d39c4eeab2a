using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The learner issue's acceptance sweep: for (d, m, N) = (10, 5, 10^6), (20, 10, 2*10^6), (32, 16, 10^7), 20 seeds each,
/// how often all three parameter errors fall below 1e-4 after refinement, and the moment estimate's error without it;
/// then the noisy-label curve at (20, 10): error against N and the held-out MSE relative to the noise variance.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- sweep [seeds] [noise]
/// </summary>
internal static class SuccessRateSweep
{
    public static void Run(string[] args)
    {
        int seeds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        bool noiseOnly = args.Contains("noise");
        if (!noiseOnly)
        {
            foreach (var (d, m, n) in new (int, int, long)[] { (10, 5, 1_000_000), (20, 10, 2_000_000), (32, 16, 10_000_000) })
                Noiseless(d, m, n, seeds);
        }
        NoisyCurve(20, 10, Math.Min(seeds, 5));
    }

    private static void Noiseless(int d, int m, long n, int seeds)
    {
        int success = 0;
        double worstMoment = 0;
        var times = new List<double>();
        Console.WriteLine($"## d = {d}, m = {m}, N = {n:N0}, noiseless, b uniform in [-1.5, 1.5], |a| in [0.5, 1.5]");
        Console.WriteLine("| seed | w-error | a-error | b-error | relative test MSE | moment-only w-error | time (s) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (ulong seed = 1; seed <= (ulong)seeds; seed++)
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
            var source = new TeacherSampleSource<double>(teacher, n, seed + 1000);
            var clock = Stopwatch.StartNew();
            var result = ReluLearner.Learn(source, new LearnerOptions { Hidden = m, Seed = seed });
            clock.Stop();
            var cmp = NetworkComparison.Compare(result.Network, teacher);
            var moment = NetworkComparison.Compare(result.MomentEstimate, teacher, 10_000);
            bool ok = cmp.WError < 1e-4 && cmp.AError < 1e-4 && cmp.BError < 1e-4;
            success += ok ? 1 : 0;
            worstMoment = Math.Max(worstMoment, moment.WError);
            times.Add(clock.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {seed} | {cmp.WError:E2} | {cmp.AError:E2} | {cmp.BError:E2} | {cmp.RelativeTestMse:E2} | {moment.WError:E2} | " +
                    $"{clock.Elapsed.TotalSeconds:F1} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"success (all errors < 1e-4): {success}/{seeds}; worst moment-only w-error {worstMoment:E2}; " +
                $"median time {times.Order().ElementAt(times.Count / 2):F1} s"));
        Console.WriteLine();
    }

    private static void NoisyCurve(int d, int m, int seeds)
    {
        Console.WriteLine($"## d = {d}, m = {m}, noisy labels y = f(x) + e, s = 0.1 std(f)");
        Console.WriteLine("| N | moment w-error (median) | refined w-error (median) | refined a-error | refined b-error | " +
            "held-out MSE / s^2 (median) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (long n in new long[] { 250_000, 1_000_000, 4_000_000 })
        {
            var moment = new List<double>(); var w = new List<double>(); var a = new List<double>();
            var b = new List<double>(); var ratio = new List<double>();
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
                double s = 0.1 * Math.Sqrt(NetworkComparison.TestError(new ReluNetwork(d, [], [], []), teacher, 200_000, 1).TruthVariance);
                var source = new TeacherSampleSource<double>(teacher, n, seed + 2000, s);
                var result = ReluLearner.Learn(source, new LearnerOptions { Hidden = m, Seed = seed, RefinementSamples = 200_000 });
                var cmp = NetworkComparison.Compare(result.Network, teacher, 10_000);
                moment.Add(NetworkComparison.Compare(result.MomentEstimate, teacher, 10_000).WError);
                w.Add(cmp.WError); a.Add(cmp.AError); b.Add(cmp.BError);
                ratio.Add(result.HeldOutMse / (s * s));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n:N0} | {Median(moment):E2} | {Median(w):E2} | {Median(a):E2} | {Median(b):E2} | {Median(ratio):F3} |"));
        }
        Console.WriteLine();
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
