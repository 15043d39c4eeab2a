using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Extraction of networks that nobody designed as random teachers (issue 13, item 3): the depth-2 ReLU regressors of
/// tests/ReluFast.Tests/Fixtures/Trained (make_trained.py: trained by Adam on scikit-learn's digits, d = 64, m = 16, 32, 48, 64),
/// queried at N Gaussian inputs through <see cref="TeacherSampleSource{T}"/> and learned by <see cref="ReluLearner"/> with the
/// default options (m estimated, mode chosen from the data). Prints a markdown table (m, N, queries, time, neurons found and
/// recovered, w/a/b errors, relative test MSE, warnings, and the N that the m-estimate needs: the learner counts the T_2
/// eigenvalues above twice its noise floor 2 sqrt(d E[y~^2] / N), y~ = y - t0 - &lt;t1, x&gt;, so it can count all m neurons only
/// when N &gt; 16 d E[y~^2] / lambda_m^2, lambda_m the m-th largest |eigenvalue| of the teacher's exact T_2), then for each network
/// the estimated T_2 spectrum around m against the learner's threshold and every neuron not recovered to 1e-4 with its
/// unit-w output weight, bias, Gaussian activation fraction and weight in T_2, |a_i| |w_i| c_2(b_i / |w_i|).
/// <code>
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- trained              (m = 16, 32, 48, 64 at their default N)
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- trained m N [threads=0]
/// </code>
/// </summary>
internal static class TrainedExtraction
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Per-neuron bound of "recovered": the learner issue's 1e-4 on every one of w, a and b.</summary>
    private const double Recovered = 1e-4;

    /// <summary>The fixtures' sizes and the queries run for each by default.</summary>
    private static readonly (int M, long N)[] Sizes = [(16, 1_000_000), (32, 16_000_000), (48, 2_000_000), (64, 2_000_000)];

    /// <summary>The fixture of m hidden neurons (copied next to the benchmark by its project file).</summary>
    internal static string Fixture(int m) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Trained", $"trained_d64_m{m}.json");

    public static void Run(string[] args)
    {
        int threads = args.Length > 3 ? int.Parse(args[3], Inv) : 0;
        (int M, long N)[] sizes = args.Length > 2 ? [(int.Parse(args[1], Inv), (long)double.Parse(args[2], Inv))] : Sizes;
        var details = new List<string>();
        Console.WriteLine("| m | N (queries) | log2 N | time (s) | neurons found / recovered | w error | a error | b error | " +
            "relative test MSE | warnings | N the m-estimate needs |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var (m, n) in sizes) details.AddRange(One(m, n, threads));
        Console.WriteLine();
        foreach (string line in details) Console.WriteLine(line);
    }

    private static List<string> One(int m, long n, int threads)
    {
        var teacher = NetworkJson.Read(Fixture(m));
        var source = new TeacherSampleSource<double>(teacher, n, seed: 13);
        var clock = Stopwatch.StartNew();
        var result = ReluLearner.Learn(source, new LearnerOptions { Seed = 1, Threads = threads }, LearnerMode.Auto, new Throttled());
        double seconds = clock.Elapsed.TotalSeconds;
        var cmp = NetworkComparison.Compare(result.Network, teacher, testSamples: 100_000);
        var lost = LostNeurons(result.Network, teacher, cmp.Matching);
        string warnings = result.Warnings.Count == 0 ? "none" : string.Join(", ", result.Warnings.Select(w => w.Code));
        Console.WriteLine(string.Create(Inv,
            $"| {m} | {n:N0} | {Math.Log2(n):F1} | {seconds:F0} | {result.Hidden} / {m - lost.Count} | {cmp.WError:0.0E+00} | " +
            $"{cmp.AError:0.0E+00} | {cmp.BError:0.0E+00} | {cmp.RelativeTestMse:0.0E+00} | {warnings} | {NeededForCount(teacher):0.0E+00} |"));

        var lines = new List<string> { string.Create(Inv, $"### m = {m}, N = {n:N0}: mode {result.Mode}, learned m = {result.Hidden}" +
            $" (estimated: {result.HiddenWasEstimated}), held-out MSE / Var y = {result.HeldOutMse / result.HeldOutVariance:0.00E+00}") };
        var spectrum = result.Spectrum;
        string around = string.Join(", ", Enumerable.Range(Math.Max(0, m - 3), Math.Min(spectrum.Count, m + 3) - Math.Max(0, m - 3))
            .Select(k => string.Create(Inv, $"#{k + 1} {Math.Abs(spectrum[k]):0.00E+00}")));
        lines.Add(string.Create(Inv, $"T_2 spectrum |values| around m: {around}; noise floor {result.NoiseFloor:0.00E+00}"));
        // the learner's path: each round's, refit's and merge's verdict (which step recovered or lost the fit)
        lines.AddRange(result.Log.Where(IsVerdict).Select(line => "path: " + line));
        foreach (var w in result.Warnings) lines.Add("warning: " + w.Message);
        foreach (string neuron in lost) lines.Add(neuron);
        lines.Add("");
        return lines;
    }

    /// <summary>Log lines that end a step of the learner after the first fit: a round kept or not, a refit, a merge.</summary>
    private static bool IsVerdict(string line) =>
        (line.Contains("neurons refined jointly", StringComparison.Ordinal) || line.StartsWith("refit: held-out", StringComparison.Ordinal)
            || line.Contains("redundant neuron(s) merged", StringComparison.Ordinal) || line.StartsWith("chose m", StringComparison.Ordinal));

    /// <summary>
    /// 16 d E[y~^2] / lambda_m^2: the N above which the m-th eigenvalue of the exact T_2 = sum_i a_i c_2(b_i) w_i w_i^T (unit w_i)
    /// clears the learner's threshold, twice the noise floor 2 sqrt(d E[y~^2] / N). E[y~^2] = Var f - |t1|^2 with
    /// t1 = E[f x] = sum_i a_i c_1(b_i) w_i, Var f on 200,000 Gaussian samples.
    /// </summary>
    internal static double NeededForCount(ReluNetwork teacher)
    {
        var t = teacher.Normalized();
        int d = t.InputDim, m = t.Hidden;
        var t2 = new double[d * d];
        var t1 = new double[d];
        for (int i = 0; i < m; i++)
        {
            var w = t.WeightsOf(i);
            double c2 = t.A[i] * GaussianMath.ReluCoefficient(2, t.B[i]), c1 = t.A[i] * GaussianMath.ReluCoefficient(1, t.B[i]);
            for (int k = 0; k < d; k++)
            {
                t1[k] += c1 * w[k];
                for (int l = 0; l < d; l++) t2[k * d + l] += c2 * w[k] * w[l];
            }
        }
        var values = Decomposition.SymmetricSpectrum.Compute(t2, d).Values.Select(Math.Abs).OrderDescending().ToArray();
        double variance = NetworkComparison.TestError(new ReluNetwork(d, [], [], []), teacher, 200_000, 1).TruthVariance;
        double residual = variance - TensorPrimitives.Dot(t1, t1);
        return 16 * d * residual / (values[m - 1] * values[m - 1]);
    }

    /// <summary>One line per teacher neuron whose matched learned neuron misses it by 1e-4 or more in w, a or b (unit-w form).</summary>
    private static List<string> LostNeurons(ReluNetwork model, ReluNetwork teacher, int[] matching)
    {
        var t = teacher.Normalized();
        var u = model.Normalized();
        var lines = new List<string>();
        for (int i = 0; i < t.Hidden; i++)
        {
            int j = matching[i];
            double strength = Math.Abs(t.A[i] * GaussianMath.ReluCoefficient(2, t.B[i]));
            double active = GaussianMath.NormalCdf(t.B[i]);
            double closest = ClosestOtherAngle(t, i);
            if (j < 0)
            {
                lines.Add(string.Create(Inv, $"neuron {i}: no learned neuron; a|w| = {t.A[i]:F3}, b/|w| = {t.B[i]:F3}, " +
                    $"active {active:F3}, |a| |w| c_2 = {strength:0.00E+00}, closest other w at {closest:F1} deg"));
                continue;
            }
            double we = TensorPrimitives.Distance(t.WeightsOf(i), u.WeightsOf(j));
            double ae = Math.Abs(t.A[i] - u.A[j]), be = Math.Abs(t.B[i] - u.B[j]);
            if (we < Recovered && ae < Recovered && be < Recovered) continue;
            lines.Add(string.Create(Inv, $"neuron {i}: errors w {we:0.0E+00}, a {ae:0.0E+00}, b {be:0.0E+00}; " +
                $"a|w| = {t.A[i]:F3}, b/|w| = {t.B[i]:F3}, active {active:F3}, |a| |w| c_2 = {strength:0.00E+00}, " +
                $"closest other w at {closest:F1} deg"));
        }
        return lines;
    }

    private static double ClosestOtherAngle(ReluNetwork unit, int i)
    {
        double best = 0;
        for (int k = 0; k < unit.Hidden; k++)
            if (k != i) best = Math.Max(best, Math.Abs(TensorPrimitives.Dot(unit.WeightsOf(i), unit.WeightsOf(k))));
        return Math.Acos(Math.Min(1, best)) * 180 / Math.PI;
    }

    /// <summary>One line to standard error every 10 s.</summary>
    private sealed class Throttled : IProgress<LearningProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.FromSeconds(-10);

        public void Report(LearningProgress value)
        {
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(10)) return;
            _last = _clock.Elapsed;
            Console.Error.WriteLine(string.Create(Inv, $"[{_clock.Elapsed.TotalSeconds:F0} s] {value.Stage} " +
                $"{value.SamplesDone:N0}/{value.SamplesTotal:N0} {value.Message}"));
        }
    }
}
