using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The training and held-out error along one L-BFGS refinement of the learner's moment estimate (default options, no
/// refinement, then L-BFGS by hand on the quick subsample the learner would use): is there a point after which the held-out
/// error stops improving while the training error still falls? A random teacher as <c>relufast generate --seed S</c> draws
/// it (samples with seed S + 1, float64).
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- trace d,m,N [seed] [noise] [iterations] [every] [parallel]
/// </summary>
internal static class RefinementTrace
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string[] size = (args.Length > 1 ? args[1] : "50,25,100000").Split(',');
        int d = int.Parse(size[0], inv), m = int.Parse(size[1], inv);
        long n = (long)double.Parse(size[2], inv);
        ulong seed = args.Length > 2 ? ulong.Parse(args[2], inv) : 3;
        double noise = args.Length > 3 ? double.Parse(args[3], inv) : 0;
        int iterations = args.Length > 4 ? int.Parse(args[4], inv) : 1000;
        int every = args.Length > 5 ? int.Parse(args[5], inv) : 10;
        // "parallel": the reliability suite's teacher with two neurons at cos 0.9999 (d = 8, m = 4 given)
        bool parallel = args.Length > 6 && args[6] == "parallel";
        var teacher = parallel ? NearlyParallel(0.9999) : RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var source = new TeacherSampleSource<double>(teacher, n, parallel ? seed : seed + 1, noise);
        var options = parallel ? new LearnerOptions { Hidden = 4, Seed = seed } : new LearnerOptions();
        var moment = ReluLearner.Learn(source, options with { Refine = false }, LearnerMode.FullRank);
        var start = moment.Network;
        int hidden = start.Hidden, p = MseGradient.ParameterCount(hidden, d);
        // the learner's layout: refinement rows first, held-out rows after them
        int count = (int)Math.Min(n, (long)options.RefinementSamples + options.HeldOutSamples);
        int held = Math.Min(options.HeldOutSamples, count / 5), refine = Math.Min(options.RefinementSamples, count - held);
        int small = Math.Min(refine, Math.Max(20_000, 30 * p));
        var x = new double[(long)count * d];
        var y = new double[count];
        source.Read(0, x, y);
        using var objective = new SimdMseObjective(x.AsSpan(0, small * d), y.AsSpan(0, small), d);
        var heldX = x.AsSpan(refine * d, held * d).ToArray();
        var heldY = y.AsSpan(refine, held).ToArray();
        double mean = heldY.Average(), variance = heldY.Sum(v => (v - mean) * (v - mean)) / held;
        Console.WriteLine(string.Create(inv, $"(d, m, N) = ({d}, {m}, {n}), noise {noise}: m = {hidden}, p = {p}, quick {small}, held-out {held}, " +
            $"Var y {variance:G4}; held-out relative SE sqrt(2 / n) = {Math.Sqrt(2.0 / held):G3}"));
        var prediction = new double[held];
        double HeldOut(ReadOnlySpan<double> theta)
        {
            IMseObjective.Unpack(theta, hidden, d).Evaluate(heldX, prediction);
            double sse = 0;
            for (int j = 0; j < held; j++) sse += (prediction[j] - heldY[j]) * (prediction[j] - heldY[j]);
            return sse / held;
        }
        int evaluations = 0;
        var clock = Stopwatch.StartNew();
        var theta = IMseObjective.Pack(start);
        var result = LbfgsMinimizer.Minimize((q, g) =>
        {
            double f = objective.Evaluate(q, g, hidden);
            if (evaluations++ % every == 0)
                Console.WriteLine(string.Create(inv, $"eval {evaluations - 1,5} t {clock.Elapsed.TotalSeconds,6:F1}s train {f / variance:E3} " +
                    $"held-out {HeldOut(q) / variance:E3}"));
            return f;
        }, theta, iterations, valueTarget: Refinement.ExactFitRelativeMse * objective.TargetVariance);
        var cmp = NetworkComparison.Compare(IMseObjective.Unpack(theta, hidden, d).Normalized(), teacher, 100_000);
        Console.WriteLine(string.Create(inv, $"done: {result.Iterations} iterations, {result.Evaluations} evaluations, " +
            $"{clock.Elapsed.TotalSeconds:F1} s, train {result.Value / variance:E3}," +
            $" held-out {HeldOut(theta) / variance:E3}; w {cmp.WError:E2} a {cmp.AError:E2} b {cmp.BError:E2}"));
    }

    private static ReluNetwork NearlyParallel(double cos)
    {
        int d = 8, m = 4;
        var w = new double[m * d];
        for (int i = 0; i < m; i++) w[i * d + i] = 1;
        w[1 * d + 0] = cos;
        w[1 * d + 1] = Math.Sqrt(1 - cos * cos);
        return new ReluNetwork(d, [1.0, 0.8, -1.1, 0.9], w, [0.3, -0.2, 0.5, -0.6]);
    }
}
