using System.Diagnostics;
using ReluFast.Cli.Infrastructure;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Cli.Reporting;

/// <summary>
/// Learns a teacher from its streamed samples at several N and records the parameter errors of the
/// method-of-moments estimate (no refinement: refinement of noiseless data hides the 1/sqrt(N) law of
/// the moment estimates behind its own, much smaller, error).
/// </summary>
internal static class SampleSweep
{
    /// <summary>The default sample counts: largest / 2^k for k = 5..0, none below the learner's minimum.</summary>
    public static IReadOnlyList<long> DefaultCounts(int inputDim, long largest)
    {
        long minimum = Math.Max(LearnerRules.MinimumSamples(inputDim), 10_000);
        var counts = new List<long>();
        for (int k = 5; k >= 0; k--)
        {
            long n = largest >> k;
            if (n >= minimum) counts.Add(n);
        }
        if (counts.Count == 0) counts.Add(minimum);
        return counts;
    }

    /// <summary>Runs the sweep: at each N, <paramref name="repeats"/> independent sample streams, errors averaged (geometric mean).</summary>
    public static IReadOnlyList<SweepPoint> Run(ReluNetwork teacher, InputDistribution? law, IReadOnlyList<long> counts, int repeats, int hidden,
        ulong seed, double noise, IPassProgress? progress, CancellationToken cancellation)
    {
        var points = new List<SweepPoint>();
        foreach (long n in counts)
        {
            var clock = Stopwatch.StartNew();
            double logW = 0, logA = 0, logB = 0;
            for (int r = 0; r < repeats; r++)
            {
                cancellation.ThrowIfCancellationRequested();
                ulong streamSeed = seed + (ulong)r * 0x9E3779B97F4A7C15UL;
                var source = new TeacherSampleSource<double>(teacher, n, streamSeed, noise, law);
                var options = new LearnerOptions { Hidden = hidden, Refine = false, Seed = seed + (ulong)r };
                // m is given, so the facade decides the mode from it alone (m > d: overcomplete) and runs no mode check.
                var result = ReluLearner.Learn(source, options, LearnerMode.Auto,
                    LearningProgressAdapter.For(progress, $"sweep N = {n:N0} ({r + 1}/{repeats}):"), cancellation);
                var c = NetworkComparison.Compare(result.MomentEstimate, teacher, 10_000, NetworkComparison.DefaultSeed, law);
                logW += Math.Log(c.WError);
                logA += Math.Log(c.AError);
                logB += Math.Log(c.BError);
            }
            points.Add(new SweepPoint(n, Math.Exp(logW / repeats), Math.Exp(logA / repeats), Math.Exp(logB / repeats), clock.Elapsed.TotalSeconds));
        }
        return points;
    }
}
