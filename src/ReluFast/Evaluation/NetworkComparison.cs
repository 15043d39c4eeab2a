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
public sealed record NetworkComparison(double WError, double AError, double BError, double TestMse, double RelativeTestMse, int[] Matching, long TestSamples)
{
    /// <summary>
    /// Compares <paramref name="model"/> with <paramref name="truth"/>: both normalised to unit w_i, neurons
    /// matched by the Hungarian algorithm on |&lt;w_i, w'_j&gt;|, parameter errors over matched pairs, and
    /// the test MSE on <paramref name="testSamples"/> fresh samples drawn with <paramref name="seed"/>.
    /// A missing or extra neuron makes the parameter errors infinite.
    /// </summary>
    /// <exception cref="ArgumentException">The two networks have different input dimensions.</exception>
    public static NetworkComparison Compare(ReluNetwork model, ReluNetwork truth, long testSamples = 200_000, ulong seed = 0x7E57)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(truth);
        if (model.InputDim != truth.InputDim)
            throw new ArgumentException($"The model has input dimension {model.InputDim} but the teacher has {truth.InputDim}.", nameof(model));
        var m = model.Normalized();
        var t = truth.Normalized();
        int d = t.InputDim;
        int[] matching = MatchNeurons(m, t);
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
        var (mse, variance) = TestError(model, truth, testSamples, seed);
        return new NetworkComparison(wErr, aErr, bErr, mse, variance > 0 ? mse / variance : mse == 0 ? 0 : double.PositiveInfinity, matching, testSamples);
    }

    /// <summary>
    /// For each neuron of <paramref name="truth"/>, the neuron of <paramref name="model"/> that the
    /// Hungarian algorithm on -|&lt;w_i, w'_j&gt;| assigns to it (-1 where the model has too few neurons).
    /// Both networks should have unit w_i.
    /// </summary>
    public static int[] MatchNeurons(ReluNetwork model, ReluNetwork truth)
    {
        int rows = truth.Hidden, cols = model.Hidden;
        bool transpose = rows > cols;
        int r = transpose ? cols : rows, c = transpose ? rows : cols;
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

    /// <summary>Mean squared difference of the two functions and the variance of <paramref name="truth"/> on fresh N(0, I) samples.</summary>
    public static (double Mse, double TruthVariance) TestError(ReluNetwork model, ReluNetwork truth, long samples, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        var source = new TeacherSampleSource<double>(truth, samples, seed ^ 0x5EED_7E57);
        const int Block = 4096;
        int d = truth.InputDim;
        var x = new double[Block * d];
        var y = new double[Block];
        var yHat = new double[Block];
        double sumSq = 0, sum = 0, sumY2 = 0;
        for (long start = 0; start < samples; start += Block)
        {
            int n = (int)Math.Min(Block, samples - start);
            source.Read(start, x.AsSpan(0, n * d), y.AsSpan(0, n));
            model.Evaluate(x.AsSpan(0, n * d), yHat.AsSpan(0, n));
            for (int j = 0; j < n; j++)
            {
                double e = yHat[j] - y[j];
                sumSq += e * e;
                sum += y[j];
                sumY2 += y[j] * y[j];
            }
        }
        double mean = sum / samples;
        return (sumSq / samples, Math.Max(0, sumY2 / samples - mean * mean));
    }
}
