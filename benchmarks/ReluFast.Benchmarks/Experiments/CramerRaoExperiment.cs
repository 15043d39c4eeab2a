using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Refinement at the statistical limit (docs/algorithm.md section 18): at (d, m) under label noise s = (noise) std f, the
/// learner's parameter errors against the Cramer-Rao bound s^2 / n N G^+ N^T at the true network (G = E[grad f grad f^T]
/// by Monte Carlo on 5*10^5 fresh Gaussian inputs, once per seed, n the samples the learner fits on), and how often the reported standard
/// errors cover the truth. Errors are root-mean-square over seeds and over each group's parameters (unit w_i; neurons
/// matched to the teacher's), divided by the bound's root-mean-square: 1 is efficient.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- cramer-rao [seeds] [d] [m] [noise] [N,N,...]
/// </summary>
internal static class CramerRaoExperiment
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int seeds = args.Length > 1 ? int.Parse(args[1], inv) : 10;
        int d = args.Length > 2 ? int.Parse(args[2], inv) : 20;
        int m = args.Length > 3 ? int.Parse(args[3], inv) : 10;
        double noise = args.Length > 4 ? double.Parse(args[4], inv) : 0.1;
        long[] counts = args.Length > 5 ? args[5].Split(',').Select(s => long.Parse(s, inv)).ToArray() : [250_000, 1_000_000, 4_000_000];
        Console.WriteLine($"## d = {d}, m = {m}, y = f(x) + e, s = {noise} std(f), {seeds} seeds (m given, default options)");
        Console.WriteLine("| N | fitted n | w: RMS error / CR | a: RMS error / CR | b: RMS error / CR | CR RMS w, a, b | " +
            "coverage (within 2 SE) | s^2 estimate / s^2 | time (s, median) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var bounds = new Dictionary<ulong, double[]>();
        foreach (long n in counts)
        {
            double[] sse = new double[3], bound = new double[3];
            int covered = 0, total = 0;
            long fitted = 0;
            var noiseRatio = new List<double>();
            var times = new List<double>();
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
                double s = noise * Math.Sqrt(NetworkComparison.TestError(new ReluNetwork(d, [], [], []), teacher, 200_000, 1).TruthVariance);
                var source = new TeacherSampleSource<double>(teacher, n, seed + 2000, s);
                var clock = Stopwatch.StartNew();
                var result = ReluLearner.Learn(source, new LearnerOptions { Hidden = m, Seed = seed });
                times.Add(clock.Elapsed.TotalSeconds);
                fitted = result.FittedSamples;
                noiseRatio.Add(result.NoiseVariance / (s * s));
                var model = result.Network;
                if (model.Hidden != m)
                {
                    Console.WriteLine($"seed {seed}: {model.Hidden} neurons learned, not {m}; left out");
                    continue;
                }
                if (!bounds.TryGetValue(seed, out var perSample)) bounds[seed] = perSample = Bound(teacher, 1.0, seed);
                double scale = s * s / result.FittedSamples;
                var variances = perSample.Select(v => v * scale).ToArray();
                int[] match = NetworkComparison.MatchNeurons(model, teacher);
                var se = result.StandardErrors;
                int p = m * d;
                for (int i = 0; i < m; i++)
                {
                    int j = match[i];
                    for (int k = 0; k < d; k++)
                    {
                        double e = model.WeightsOf(j)[k] - teacher.WeightsOf(i)[k];
                        sse[0] += e * e;
                        bound[0] += variances[i * d + k];
                        Count(e, se?.W[j * d + k]);
                    }
                    double ea = model.A[j] - teacher.A[i], eb = model.B[j] - teacher.B[i];
                    sse[1] += ea * ea; bound[1] += variances[p + m + i]; Count(ea, se?.A[j]);
                    sse[2] += eb * eb; bound[2] += variances[p + i]; Count(eb, se?.B[j]);
                }
            }
            string Ratio(int g) => (Math.Sqrt(sse[g] / bound[g])).ToString("F2", inv);
            double groups = seeds;
            Console.WriteLine(string.Create(inv,
                $"| {n:N0} | {fitted:N0} | {Ratio(0)} | {Ratio(1)} | {Ratio(2)} | " +
                $"{Math.Sqrt(bound[0] / (groups * m * d)):E2}, {Math.Sqrt(bound[1] / (groups * m)):E2}, {Math.Sqrt(bound[2] / (groups * m)):E2} | " +
                $"{(double)covered / Math.Max(1, total):P1} | {noiseRatio.Order().ElementAt(noiseRatio.Count / 2):F3} | " +
                $"{times.Order().ElementAt(times.Count / 2):F1} |"));

            void Count(double error, double? standardError)
            {
                if (standardError is not double sd) return;
                total++;
                if (Math.Abs(error) <= 2 * sd) covered++;
            }
        }
        Console.WriteLine();
    }

    /// <summary>The Cramer-Rao variances of the normalised parameters (flat layout) at the teacher for noise variance per sample
    /// <paramref name="scale"/> = s^2 / n.</summary>
    private static double[] Bound(ReluNetwork teacher, double scale, ulong seed)
    {
        const int Inputs = 500_000;
        int d = teacher.InputDim;
        var x = new double[(long)Inputs * d];
        new CounterGaussian(seed + 77_000, key: 5).Fill(0, x);
        var fisher = FisherInformation.Estimate(teacher, x);
        var covariance = fisher.NormalisedCovariance();
        int p = fisher.Parameters;
        var variances = new double[p];
        for (int k = 0; k < p; k++) variances[k] = covariance[k * p + k] * scale;
        return variances;
    }
}
