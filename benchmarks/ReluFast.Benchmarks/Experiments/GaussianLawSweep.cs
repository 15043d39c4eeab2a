using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Inputs with any Gaussian law (docs/algorithm.md section 17): noiseless teachers (unit w_i in x's coordinates) under
/// x ~ N(mu, Sigma), mu uniform in [-1, 1], Sigma with eigenvalues spread over the given condition number; learned with
/// default options (auto mode, m estimated) as a user would; success = w, a and b errors all below 1e-4.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- gaussian-law [seeds] [d] [m] [N] [condition] [first seed] [log]
/// (log: every learner log line to standard error, with its second)
/// </summary>
internal static class GaussianLawSweep
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int seeds = args.Length > 1 ? int.Parse(args[1], inv) : 10;
        int d = args.Length > 2 ? int.Parse(args[2], inv) : 16;
        int m = args.Length > 3 ? int.Parse(args[3], inv) : 8;
        long n = args.Length > 4 ? long.Parse(args[4], inv) : 2_000_000;
        double condition = args.Length > 5 ? double.Parse(args[5], inv) : 1000;
        Console.WriteLine($"## d = {d}, m = {m}, N = {n:N0}, x ~ N(mu, Sigma), condition number {condition}, mu in [-1, 1], noiseless, " +
            "default options (auto, m estimated)");
        Console.WriteLine("| seed | mode | m found | w-error | a-error | b-error | relative test MSE, N(0, I) | relative test MSE, the law | " +
            "rel. held-out MSE | time (s) | warnings |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        int success = 0;
        var times = new List<double>();
        ulong first = args.Length > 6 ? ulong.Parse(args[6], inv) : 1;
        bool log = args.Length > 7 && args[7] == "log";
        for (ulong seed = first; seed < first + (ulong)seeds; seed++)
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
            var law = InputDistribution.Random(d, condition, 1.0, seed + 300);
            var source = new TeacherSampleSource<double>(teacher, n, seed + 1000, inputs: law);
            var clock = Stopwatch.StartNew();
            var progress = log ? new SynchronousProgress(p =>
            {
                if (p.Message.Length > 0) Console.Error.WriteLine(string.Create(inv, $"[{clock.Elapsed.TotalSeconds,7:F1}] {p.Message}"));
            }) : null;
            var result = ReluLearner.Learn(source, new LearnerOptions { Seed = seed }, LearnerMode.Auto, progress);
            clock.Stop();
            times.Add(clock.Elapsed.TotalSeconds);
            var cmp = NetworkComparison.Compare(result.Network, teacher, 10_000);
            // the learner's own measure is the held-out error under the law; N(0, I) also weighs directions the law barely varies in
            var (mse, variance) = NetworkComparison.TestError(result.Network, teacher, 100_000, seed, law);
            double lawMse = mse / variance;
            bool ok = result.Network.Hidden == m && cmp.WError < 1e-4 && cmp.AError < 1e-4 && cmp.BError < 1e-4;
            success += ok ? 1 : 0;
            Console.WriteLine(string.Create(inv,
                $"| {seed} | {result.Mode} | {result.Network.Hidden} | {cmp.WError:E2} | {cmp.AError:E2} | {cmp.BError:E2} | " +
                $"{cmp.RelativeTestMse:E2} | {lawMse:E2} | {result.HeldOutMse / result.HeldOutVariance:E2} | {clock.Elapsed.TotalSeconds:F1} | " +
                $"{string.Join(", ", result.Warnings.Select(w => w.Code).Distinct())} |"));
            // the residual rounds of the full-rank learner (the first round's fit is what the learner returned before them), its refit
            // and what the merge and the pruning removed
            foreach (string line in result.Log.Where(l => l.Contains("refined jointly", StringComparison.Ordinal)
                || l.StartsWith("refit: held-out", StringComparison.Ordinal) || l.Contains("redundant neuron", StringComparison.Ordinal)
                || (l.StartsWith("pruning:", StringComparison.Ordinal) && l.EndsWith("removed", StringComparison.Ordinal))))
                Console.WriteLine($"  {line}");
        }
        Console.WriteLine(string.Create(inv,
            $"success (m found, all errors < 1e-4): {success}/{seeds}; median time {times.Order().ElementAt(times.Count / 2):F1} s"));
        Console.WriteLine();
    }
}
