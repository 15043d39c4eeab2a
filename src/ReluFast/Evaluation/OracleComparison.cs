using System.Numerics;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Evaluation;

/// <summary>
/// How well a learned network reproduces a black box on fresh Gaussian queries, independent of the ones it was learned from: the
/// evidence an extraction carries. A relative error far above round-off means the box is not a depth-2 ReLU network of the learned
/// size (a deeper net, another activation) or the queries did not suffice: the network is then only the best depth-2 fit found.
/// </summary>
/// <param name="Mse">Mean of (model(x) - oracle(x))^2 over the fresh queries.</param>
/// <param name="OracleVariance">Variance of oracle(x) over the same queries.</param>
/// <param name="RelativeMse">Mse / OracleVariance (0 when both are 0).</param>
/// <param name="MaxAbsError">max |model(x) - oracle(x)|.</param>
/// <param name="Queries">Fresh queries asked (they count towards the cost of the extraction).</param>
public sealed record OracleComparison(double Mse, double OracleVariance, double RelativeMse, double MaxAbsError, long Queries)
{
    /// <summary>The key of the check's query stream in <see cref="CounterGaussian"/> (distinct from the learning stream's).</summary>
    public const ulong CheckKey = 3;

    /// <summary>
    /// Relative MSE above which <see cref="IsDepthTwoFit"/> is false: far above the round-off of an exact float32 fit (about 1e-13), far
    /// below what a deeper network leaves to its best depth-2 fit on the fixtures (1e-3 and more).
    /// </summary>
    public const double ExactFitRelativeMse = 1e-8;

    /// <summary>Whether the model reproduces the box to <see cref="ExactFitRelativeMse"/>.</summary>
    public bool IsDepthTwoFit => RelativeMse <= ExactFitRelativeMse;

    /// <summary>The warning to put first in a summary when <see cref="IsDepthTwoFit"/> is false (null otherwise).</summary>
    public string? Warning => IsDepthTwoFit ? null : string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"the oracle is not reproduced: the best depth-2 fit found leaves {RelativeMse:G3} of Var y unexplained on {Queries} fresh queries " +
        $"(max |error| {MaxAbsError:G3}); the box is not a depth-2 ReLU network of this size, or more queries are needed");

    /// <summary>Compares <paramref name="model"/> with <paramref name="oracle"/> on <paramref name="queries"/> fresh Gaussian queries.</summary>
    /// <exception cref="ArgumentException">Dimensions differ, queries is not positive, or the oracle returns NaN or infinity.</exception>
    public static OracleComparison Compare<T>(ReluNetwork model, IQueryOracle<T> oracle, int queries = 10_000, ulong seed = 0x7E57)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(oracle);
        if (model.InputDim != oracle.Dimension)
            throw new ArgumentException($"The model has input dimension {model.InputDim} but the oracle has {oracle.Dimension}.", nameof(model));
        if (queries <= 0) throw new ArgumentException($"The number of queries must be positive, got {queries}.", nameof(queries));
        const int block = 4096;
        int d = model.InputDim;
        var x = new T[block * d];
        var y = new T[block];
        var xd = new double[block * d];
        var yModel = new double[block];
        var inputs = new CounterGaussian(seed, CheckKey);
        double sum = 0, sumSquares = 0, squaredError = 0, maxError = 0;
        for (int start = 0; start < queries; start += block)
        {
            int n = Math.Min(block, queries - start);
            Span<double> xs = xd.AsSpan(0, n * d);
            inputs.Fill((long)start * d, xs);
            for (int i = 0; i < xs.Length; i++)
            {
                x[i] = T.CreateTruncating(xs[i]);
                xs[i] = double.CreateTruncating(x[i]); // the model sees exactly what the oracle sees
            }
            oracle.Query(x.AsSpan(0, n * d), y.AsSpan(0, n));
            model.Evaluate(xs, yModel.AsSpan(0, n));
            for (int j = 0; j < n; j++)
            {
                double target = double.CreateTruncating(y[j]);
                if (!double.IsFinite(target))
                    throw new ArgumentException($"The oracle returned {target} for check query {start + j}.", nameof(oracle));
                double e = yModel[j] - target;
                sum += target;
                sumSquares += target * target;
                squaredError += e * e;
                maxError = Math.Max(maxError, Math.Abs(e));
            }
        }
        double mse = squaredError / queries;
        double mean = sum / queries;
        double variance = Math.Max(sumSquares / queries - mean * mean, 0);
        double relative = variance > 0 ? mse / variance : mse == 0 ? 0 : double.PositiveInfinity;
        return new OracleComparison(mse, variance, relative, maxError, queries);
    }
}
