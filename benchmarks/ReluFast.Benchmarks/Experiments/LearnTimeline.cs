using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Where the time of one learning run goes: a random teacher (as <c>relufast generate --seed S</c> draws it; samples with seed
/// S + 1, float64, noiseless) learned with default options in auto mode (or diagnosed), every log line printed with the
/// wall-clock second it appeared, then the result's timings, candidates (L-BFGS iterations) and warnings, and the errors
/// against the teacher.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- timeline d,m,N [seed] [learn|diagnose] [noise]
/// </summary>
internal static class LearnTimeline
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string[] size = (args.Length > 1 ? args[1] : "50,50,100000").Split(',');
        int d = int.Parse(size[0], inv), m = int.Parse(size[1], inv);
        long n = (long)double.Parse(size[2], inv);
        ulong seed = args.Length > 2 ? ulong.Parse(args[2], inv) : 3;
        bool diagnose = args.Length > 3 && args[3] == "diagnose";
        double noise = args.Length > 4 ? double.Parse(args[4], inv) : 0;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var source = new TeacherSampleSource<double>(teacher, n, seed + 1, noise);
        var clock = Stopwatch.StartNew();
        var progress = new SynchronousProgress(p =>
        {
            if (p.Message.Length > 0) Console.WriteLine(string.Create(inv, $"[{clock.Elapsed.TotalSeconds,7:F1}] {p.Message}"));
        });
        LearningResult result;
        if (diagnose)
        {
            var report = ReluLearner.Diagnose(source, new LearnerOptions(), LearnerMode.Auto, true, progress);
            result = report.Learned!;
            foreach (string w in report.Warnings) Console.WriteLine($"diagnose warning: {w}");
        }
        else result = ReluLearner.Learn(source, new LearnerOptions(), LearnerMode.Auto, progress);
        clock.Stop();
        var t = result.Timings;
        Console.WriteLine(string.Create(inv, $"total {clock.Elapsed.TotalSeconds:F1} s: pilot {t.Pilot.TotalSeconds:F1}, pass 1 " +
            $"{t.SecondMoments.TotalSeconds:F1}, higher {t.HigherMoments.TotalSeconds:F1}, decomposition {t.Decomposition.TotalSeconds:F1}, " +
            $"coefficients {t.Coefficients.TotalSeconds:F1}, refinement {t.Refinement.TotalSeconds:F1}, mode check {t.ModeCheck.TotalSeconds:F1}"));
        foreach (var c in result.Candidates)
            Console.WriteLine(string.Create(inv, $"candidate {c.Index}: moment MSE {c.MomentHeldOutMse:G4}, refined MSE {c.RefinedHeldOutMse:G4}, " +
                $"{c.RefinementIterations} iterations"));
        foreach (var w in result.Warnings) Console.WriteLine($"warning {w.Code}: {w.Message}");
        var cmp = NetworkComparison.Compare(result.Network, teacher, 100_000);
        Console.WriteLine(string.Create(inv, $"m found {result.Network.Hidden} of {m}; w {cmp.WError:E2}, a {cmp.AError:E2}, b {cmp.BError:E2}, " +
            $"relative test MSE {cmp.RelativeTestMse:E2}; held-out relative {result.HeldOutMse / result.HeldOutVariance:E2}"));
    }
}

/// <summary>Reports on the caller's thread, at once (Progress{T} posts to the thread pool and can reorder lines).</summary>
internal sealed class SynchronousProgress(Action<LearningProgress> action) : IProgress<LearningProgress>
{
    private readonly object _gate = new();

    public void Report(LearningProgress value)
    {
        lock (_gate) action(value);
    }
}
