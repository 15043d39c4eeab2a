using System.Numerics.Tensors;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Evaluation;

/// <summary>How close a learned network is to the true one (docs/algorithm.md section 1: unit w_i, optimal matching).</summary>
/// <param name="WError">max over matched neurons of |w_i - w'_i| (Euclidean).</param>
/// <param name="AError">max over matched neurons of |a_i - a'_i|.</param>
/// <param name="BError">max over matched neurons of |b_i - b'_i|.</param>
/// <param name="TestMse">mean squared difference of the two functions on fresh Gaussian samples (linear parts included).</param>
/// <param name="RelativeTestMse">TestMse divided by the variance of the true function on the same samples.</param>
/// <param name="Matching">For each true neuron i, the learned neuron matched to it (-1 where the model has fewer neurons).</param>
/// <param name="TestSamples">Number of fresh samples behind the MSE.</param>
public sealed record NetworkComparison(double WError, double AError, double BError, double TestMse, double RelativeTestMse, int[] Matching,
    long TestSamples)
{
    /// <summary>
    /// Compares <paramref name="model"/> with <paramref name="truth"/>: both normalised to unit w_i, neurons
    /// matched by the Hungarian algorithm on |&lt;w_i, w'_j&gt;|, parameter errors over matched pairs, and
    /// the test MSE on <paramref name="testSamples"/> fresh samples drawn with <paramref name="seed"/>.
    /// A missing or extra neuron makes the parameter errors infinite.
    /// </summary>
    /// <exception cref="ArgumentException">The two networks have different input dimensions.</exception>
    public static NetworkComparison Compare(ReluNetwork model, ReluNetwork truth, long testSamples = 200_000, ulong seed = DefaultSeed) =>
        Compare(model, truth, (long?)testSamples, seed);

    /// <summary>
    /// <see cref="Compare(ReluNetwork, ReluNetwork, long, ulong)"/> with the number of test samples chosen by
    /// <see cref="DefaultTestSamples(ReluNetwork, ReluNetwork)"/> when <paramref name="testSamples"/> is <see langword="null"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The input dimensions differ, a w_i cannot be normalised, or (default test samples) the networks exceed the test budget.
    /// </exception>
    public static NetworkComparison Compare(ReluNetwork model, ReluNetwork truth, long? testSamples, ulong seed = DefaultSeed) =>
        Compare(model, truth, testSamples, seed, inputs: null);

    /// <summary>
    /// <see cref="Compare(ReluNetwork, ReluNetwork, long?, ulong)"/> with the test samples' x drawn from <paramref name="inputs"/>
    /// (null: N(0, I)): the law the training samples came from, where the test MSE is the error a user of the model sees.
    /// Away from N(0, I) the two can differ by orders of magnitude: a direction of small variance under the law leaves its
    /// parameters less determined, and N(0, I) weighs it as much as any other.
    /// </summary>
    /// <exception cref="ArgumentException">As the overload without a law, or the law's dimension is not the networks'.</exception>
    public static NetworkComparison Compare(ReluNetwork model, ReluNetwork truth, long? testSamples, ulong seed, InputDistribution? inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(truth);
        if (model.InputDim != truth.InputDim)
            throw new ArgumentException($"The model has input dimension {model.InputDim} but the teacher has {truth.InputDim}.", nameof(model));
        if (model.FirstNeuronProblem() is string modelProblem) throw new ArgumentException($"the model: {modelProblem}", nameof(model));
        if (truth.FirstNeuronProblem() is string truthProblem) throw new ArgumentException($"the teacher: {truthProblem}", nameof(truth));
        if (inputs is not null && inputs.Dimension != truth.InputDim)
            throw new ArgumentException($"The input law has dimension {inputs.Dimension} but the networks {truth.InputDim}.", nameof(inputs));
        long n = testSamples ?? DefaultTestSamples(model, truth, inputs);
        var m = model.Normalized();
        var t = truth.Normalized();
        int[] matching = MatchNeurons(m, t, out bool exact);
        double wErr = 0, aErr = 0, bErr = 0;
        for (int i = 0; i < t.Hidden; i++)
        {
            int j = matching[i];
            if (j < 0) { wErr = aErr = bErr = double.PositiveInfinity; continue; }
            wErr = Math.Max(wErr, TensorPrimitives.Distance(t.WeightsOf(i), m.WeightsOf(j)));
            aErr = Math.Max(aErr, Math.Abs(t.A[i] - m.A[j]));
            bErr = Math.Max(bErr, Math.Abs(t.B[i] - m.B[j]));
        }
        if (m.Hidden > t.Hidden) wErr = aErr = bErr = double.PositiveInfinity;
        var (mse, variance) = TestError(model, truth, n, seed, inputs);
        return new NetworkComparison(wErr, aErr, bErr, mse, variance > 0 ? mse / variance : mse == 0 ? 0 : double.PositiveInfinity, matching, n)
        {
            ExactMatching = exact,
        };
    }

    /// <summary>The seed of the test samples when none is given.</summary>
    internal const ulong DefaultSeed = 0x7E57;

    /// <summary>
    /// Whether <see cref="Matching"/> is the optimal assignment (Hungarian algorithm), or the greedy one used above
    /// <see cref="HungarianMatching.MaxExactWork"/>.
    /// </summary>
    public bool ExactMatching { get; init; } = true;

    /// <summary>
    /// For each neuron of <paramref name="truth"/>, the neuron of <paramref name="model"/> that the
    /// Hungarian algorithm on -|&lt;w_i, w'_j&gt;| assigns to it (-1 where the model has too few neurons).
    /// Both networks should have unit w_i.
    /// </summary>
    public static int[] MatchNeurons(ReluNetwork model, ReluNetwork truth) => MatchNeurons(model, truth, out _);

    /// <summary>
    /// <see cref="MatchNeurons(ReluNetwork, ReluNetwork)"/>, and whether the matching is the optimal one: above
    /// <see cref="HungarianMatching.MaxExactWork"/> (r^2 c for r = min(m, m'), c = max(m, m'); or r c, the cost matrix, above
    /// 1/64 of it) the Hungarian algorithm's
    /// O(r^2 c) time is not spent, and each true neuron in turn takes the unused learned neuron of largest |&lt;w_i, w'_j&gt;|
    /// (O(m m' d) time, O(m + m') memory).
    /// </summary>
    public static int[] MatchNeurons(ReluNetwork model, ReluNetwork truth, out bool exact)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(truth);
        int rows = truth.Hidden, cols = model.Hidden;
        bool transpose = rows > cols;
        int r = transpose ? cols : rows, c = transpose ? rows : cols;
        exact = (double)r * r * c <= HungarianMatching.MaxExactWork && (long)r * c <= HungarianMatching.MaxExactWork / 64;
        if (!exact) return GreedyMatch(model, truth);
        var cost = new double[r * c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
            {
                var wt = transpose ? truth.WeightsOf(j) : truth.WeightsOf(i);
                var wm = transpose ? model.WeightsOf(i) : model.WeightsOf(j);
                cost[i * c + j] = -Math.Abs(TensorPrimitives.Dot(wt, wm));
            }
        int[] assignment = HungarianMatching.Solve(cost, r, c);
        if (!transpose) return assignment;
        var result = new int[rows];
        Array.Fill(result, -1);
        for (int i = 0; i < r; i++) result[assignment[i]] = i;
        return result;
    }

    private static int[] GreedyMatch(ReluNetwork model, ReluNetwork truth)
    {
        var result = new int[truth.Hidden];
        var used = new bool[model.Hidden];
        int left = model.Hidden;
        for (int i = 0; i < truth.Hidden; i++)
        {
            int best = -1;
            double bestCos = -1;
            if (left > 0)
            {
                var wt = truth.WeightsOf(i);
                for (int j = 0; j < model.Hidden; j++)
                {
                    if (used[j]) continue;
                    double cos = Math.Abs(TensorPrimitives.Dot(wt, model.WeightsOf(j)));
                    if (cos > bestCos) { bestCos = cos; best = j; }
                }
            }
            result[i] = best;
            if (best >= 0) { used[best] = true; left--; }
        }
        return result;
    }

    /// <summary>
    /// The most values (test samples times input dimension and hidden neurons, see <see cref="DefaultTestSamples(ReluNetwork, ReluNetwork)"/>)
    /// that the default test MSE draws and evaluates: a bound on its time, a few seconds on one core.
    /// </summary>
    public const long TestWorkBudget = 100_000_000;

    /// <summary>The fewest samples behind a default test MSE; below it <see cref="DefaultTestSamples(ReluNetwork, ReluNetwork)"/> refuses.</summary>
    public const long MinimumTestSamples = 100;

    /// <summary>
    /// The number of fresh test samples behind the default test MSE of <paramref name="model"/> against
    /// <paramref name="truth"/>: 200,000, fewer where each sample costs more than <see cref="TestWorkBudget"/> / 200,000
    /// (d Gaussian draws plus d (m + m') for the two evaluations), so that the work is bounded by the budget.
    /// </summary>
    /// <exception cref="ArgumentException">Even <see cref="MinimumTestSamples"/> samples exceed the budget (the message names it).</exception>
    public static long DefaultTestSamples(ReluNetwork model, ReluNetwork truth) => DefaultTestSamples(model, truth, inputs: null);

    /// <summary><see cref="DefaultTestSamples(ReluNetwork, ReluNetwork)"/> for test inputs drawn from <paramref name="inputs"/>, whose
    /// x = mu + L g costs d^2 more multiply-adds a sample.</summary>
    internal static long DefaultTestSamples(ReluNetwork model, ReluNetwork truth, InputDistribution? inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(truth);
        double perSample = TestCostPerSample(model, truth) + (inputs is null ? 0 : (double)truth.InputDim * truth.InputDim);
        long n = (long)Math.Min(200_000, TestWorkBudget / perSample);
        if (n < MinimumTestSamples)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            throw new ArgumentException(
                $"the networks (d = {truth.InputDim}, m = {truth.Hidden} and {model.Hidden}{(inputs is null ? "" : ", inputs x = mu + L g")}) " +
                "are too large for the default test MSE: " +
                $"{MinimumTestSamples} samples cost {(MinimumTestSamples * perSample).ToString("G3", inv)} values, over the budget of " +
                $"{TestWorkBudget.ToString("G3", inv)}; give the number of test samples explicitly (relufast evaluate --test-samples N) " +
                "to spend more.", nameof(model));
        }
        return n;
    }

    private static double TestCostPerSample(ReluNetwork model, ReluNetwork truth) =>
        truth.InputDim * (1.0 + model.Hidden + truth.Hidden);

    /// <summary>Mean squared difference of the two functions and the variance of <paramref name="truth"/> on fresh N(0, I) samples.</summary>
    public static (double Mse, double TruthVariance) TestError(ReluNetwork model, ReluNetwork truth, long samples, ulong seed) =>
        TestError(model, truth, samples, seed, inputs: null);

    /// <summary>
    /// Mean squared difference of the two functions and the variance of <paramref name="truth"/> on fresh samples whose x follow
    /// <paramref name="inputs"/> (null: N(0, I)).
    /// </summary>
    /// <exception cref="ArgumentException">The law's dimension is not the teacher's.</exception>
    public static (double Mse, double TruthVariance) TestError(ReluNetwork model, ReluNetwork truth, long samples, ulong seed,
        InputDistribution? inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        var source = new TeacherSampleSource<double>(truth, samples, seed ^ 0x5EED_7E57, inputs: inputs);
        int d = truth.InputDim;
        // 4096 rows per block, fewer for large d, so that a block holds at most 2^18 values (2 MB) whatever d is.
        int block = Math.Clamp((1 << 18) / d, 1, 4096);
        long blocks = (samples + block - 1) / block;
        int workers = (int)Math.Min(Environment.ProcessorCount, blocks);
        // Partial sums per block, added in block order afterwards: the result does not depend on the thread count.
        var partial = new (double SumSq, double Sum, double SumY2)[blocks];
        Parallel.For(0, workers, worker =>
        {
            var x = new double[block * d];
            var y = new double[block];
            var yHat = new double[block];
            for (long k = worker; k < blocks; k += workers)
            {
                long start = k * block;
                int n = (int)Math.Min(block, samples - start);
                source.Read(start, x.AsSpan(0, n * d), y.AsSpan(0, n));
                model.Evaluate(x.AsSpan(0, n * d), yHat.AsSpan(0, n));
                double sumSq = 0, sum = 0, sumY2 = 0;
                for (int j = 0; j < n; j++)
                {
                    double e = yHat[j] - y[j];
                    sumSq += e * e;
                    sum += y[j];
                    sumY2 += y[j] * y[j];
                }
                partial[k] = (sumSq, sum, sumY2);
            }
        });
        double totalSq = 0, total = 0, totalY2 = 0;
        foreach (var (sumSq, sum, sumY2) in partial)
        {
            totalSq += sumSq;
            total += sum;
            totalY2 += sumY2;
        }
        double mean = total / samples;
        return (totalSq / samples, Math.Max(0, totalY2 / samples - mean * mean));
    }

}
