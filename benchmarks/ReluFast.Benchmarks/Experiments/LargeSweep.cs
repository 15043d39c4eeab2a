using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The scale issue's sweeps: random teachers (unit w_i, b uniform in [-1.5, 1.5], |a| in [0.5, 1.5]) at the given
/// (d, m, N), float32 samples streamed from the teacher, default options (auto mode, m estimated) as a user would run them.
/// Success: m found and the w, a and b errors all below 1e-4 after refinement. Also the moment-only errors, the time per
/// step, the process's peak working set and the warnings, so a wrong network without a warning shows in the table.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- large [seeds] [d,m,N] [first seed] [log]
/// </summary>
internal static class LargeSweep
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int seeds = args.Length > 1 ? int.Parse(args[1], inv) : 10;
        string[] size = (args.Length > 2 ? args[2] : "48,24,6000000").Split(',');
        int d = int.Parse(size[0], inv), m = int.Parse(size[1], inv);
        long n = (long)double.Parse(size[2], inv);
        int first = args.Length > 3 ? int.Parse(args[3], inv) : 1;
        bool log = args.Length > 4 && args[4] == "log"; // every log line to standard error, with its second
        Console.WriteLine($"## d = {d}, m = {m}, N = {n:N0}, float32, noiseless, b in [-1.5, 1.5], default options (m estimated)");
        Console.WriteLine("| seed | m found | w-error | a-error | b-error | rel. test MSE | moment w-error | moment a-error | " +
            "passes (s) | decomposition (s) | refinement (s) | total (s) | peak (MB) | warnings |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        int success = 0;
        for (int seed = first; seed < first + seeds; seed++)
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), (ulong)seed);
            var source = new TeacherSampleSource<float>(teacher, n, (ulong)seed + 1000);
            var clock = Stopwatch.StartNew();
            var progress = log ? new SynchronousProgress(p =>
            {
                if (p.Message.Length > 0) Console.Error.WriteLine(string.Create(inv, $"[{clock.Elapsed.TotalSeconds,7:F1}] {p.Message}"));
            }) : null;
            var result = ReluLearner.Learn(source, new LearnerOptions { Seed = (ulong)seed }, LearnerMode.Auto, progress);
            clock.Stop();
            var cmp = NetworkComparison.Compare(result.Network, teacher, 10_000);
            var moment = NetworkComparison.Compare(result.MomentEstimate, teacher, 10_000);
            bool ok = result.Network.Hidden == m && cmp.WError < 1e-4 && cmp.AError < 1e-4 && cmp.BError < 1e-4;
            success += ok ? 1 : 0;
            var t = result.Timings;
            double passes = (t.Pilot + t.SecondMoments + t.HigherMoments + t.ModeCheck).TotalSeconds + t.Coefficients.TotalSeconds;
            string warnings = string.Join("; ", result.Warnings.Select(w => w.Code.ToString()));
            Console.WriteLine(string.Create(inv,
                $"| {seed} | {result.Network.Hidden} | {cmp.WError:E2} | {cmp.AError:E2} | {cmp.BError:E2} | {cmp.RelativeTestMse:E2} | " +
                $"{moment.WError:E2} | {moment.AError:E2} | {passes:F1} | {t.Decomposition.TotalSeconds:F1} | " +
                $"{t.Refinement.TotalSeconds:F1} | {clock.Elapsed.TotalSeconds:F1} | " +
                $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} | {warnings} |"));
        }
        Console.WriteLine($"success (m found, all errors < 1e-4): {success}/{seeds}");
        Console.WriteLine();
    }
}

/// <summary>
/// The scale issue's weak-neuron case: d = 12, m = 6, two regular neurons (|a| in [0.5, 1.5], b in [-1.5, 1.5]) and four weak
/// ones with |a| = 0.3 and b = +2.5, -2.5, +2, -2 (about 0.6% and 2.3% of the samples see their kinks), N = 4e6, float64,
/// noiseless, default options. Success: all six neurons found with every error below 1e-4.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- weak [seeds] [N]
/// </summary>
internal static class WeakNeuronSweep
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int seeds = args.Length > 1 ? int.Parse(args[1], inv) : 10;
        long n = args.Length > 2 ? (long)double.Parse(args[2], inv) : 4_000_000;
        const int d = 12, m = 6;
        Console.WriteLine($"## weak neurons: d = {d}, m = {m} (4 with |a| = 0.3, b = +-2.5, +-2), N = {n:N0}, default options");
        Console.WriteLine("| seed | m found | w-error | a-error | b-error | rel. test MSE | total (s) | warnings |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        int success = 0;
        for (ulong seed = 1; seed <= (ulong)seeds; seed++)
        {
            var teacher = Teacher(d, m, seed);
            var source = new TeacherSampleSource<double>(teacher, n, seed + 1000);
            var clock = Stopwatch.StartNew();
            var result = ReluLearner.Learn(source, new LearnerOptions { Seed = seed });
            clock.Stop();
            var cmp = NetworkComparison.Compare(result.Network, teacher, 10_000);
            bool ok = result.Network.Hidden == m && cmp.WError < 1e-4 && cmp.AError < 1e-4 && cmp.BError < 1e-4;
            success += ok ? 1 : 0;
            string warnings = string.Join("; ", result.Warnings.Select(w => w.Code.ToString()));
            Console.WriteLine(string.Create(inv,
                $"| {seed} | {result.Network.Hidden} | {cmp.WError:E2} | {cmp.AError:E2} | {cmp.BError:E2} | {cmp.RelativeTestMse:E2} | " +
                $"{clock.Elapsed.TotalSeconds:F1} | {warnings} |"));
        }
        Console.WriteLine($"success (m found, all errors < 1e-4): {success}/{seeds}");
        Console.WriteLine();
    }

    /// <summary>A random (d, m) teacher whose last four neurons are made weak: |a| = 0.3, b = +2.5, -2.5, +2, -2.</summary>
    internal static ReluNetwork Teacher(int d, int m, ulong seed)
    {
        var random = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var a = random.A.ToArray();
        var b = random.B.ToArray();
        double[] weak = [2.5, -2.5, 2, -2];
        for (int k = 0; k < weak.Length; k++)
        {
            a[m - 1 - k] = 0.3 * Math.Sign(a[m - 1 - k]);
            b[m - 1 - k] = weak[k];
        }
        return new ReluNetwork(d, a, random.W, b);
    }
}
