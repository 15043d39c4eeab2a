using System.Numerics.Tensors;

namespace ReluFast.Sampling;

/// <summary>
/// A Gaussian law of the inputs, x = mu + L g with g ~ N(0, I_d): mean mu and covariance Sigma = L L^T. The learner
/// estimates such a law from the samples and learns in whitened coordinates; sample sources use it to draw inputs
/// (<see cref="TeacherSampleSource{T}"/>, <c>relufast generate --input-mean / --input-condition</c>).
/// </summary>
public sealed record InputDistribution
{
    private InputDistribution(int dimension, double[] mean, double[] factor)
    {
        Dimension = dimension;
        Mean = mean;
        Factor = factor;
    }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>mu (d values).</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>L (d x d, row-major), with Sigma = L L^T.</summary>
    public IReadOnlyList<double> Factor { get; }

    /// <summary>Whether this is N(0, I).</summary>
    public bool IsStandard
    {
        get
        {
            int d = Dimension;
            for (int i = 0; i < d; i++)
            {
                if (Mean[i] != 0) return false;
                for (int j = 0; j < d; j++)
                    if (Factor[i * d + j] != (i == j ? 1 : 0)) return false;
            }
            return true;
        }
    }

    /// <summary>
    /// The largest d that <see cref="Random"/> draws a law for: its rotation and factor are d x d (128 MB each at 4096) and
    /// building them costs about 2 d^3 multiply-adds (tens of seconds at 4096). A law of larger d can be given through
    /// <see cref="FromFactor"/>.
    /// </summary>
    public const int MaxRandomDimension = 4096;

    /// <summary>N(0, I_d).</summary>
    /// <exception cref="ArgumentOutOfRangeException">d is not positive, or d x d exceeds the largest array.</exception>
    public static InputDistribution Standard(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if ((long)dimension * dimension > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(dimension),
                $"The factor of N(0, I_d) is d x d, more than {Array.MaxLength} values.");
        var factor = new double[dimension * dimension];
        for (int i = 0; i < dimension; i++) factor[i * dimension + i] = 1;
        return new InputDistribution(dimension, new double[dimension], factor);
    }

    /// <summary>x = mu + L g for a given mean and factor L (d x d, row-major; any real matrix, singular allowed).</summary>
    /// <exception cref="ArgumentException">The shapes disagree or a value is not finite.</exception>
    public static InputDistribution FromFactor(ReadOnlySpan<double> mean, ReadOnlySpan<double> factor)
    {
        int d = mean.Length;
        if (d == 0) throw new ArgumentException("The mean needs at least one value.", nameof(mean));
        if (factor.Length != (long)d * d)
            throw new ArgumentException($"The factor must be d x d = {d} x {d}, got {factor.Length} values.", nameof(factor));
        if (!TensorPrimitives.IsFiniteAll(mean) || !TensorPrimitives.IsFiniteAll(factor))
            throw new ArgumentException("The mean and factor must be finite.", nameof(factor));
        return new InputDistribution(d, mean.ToArray(), factor.ToArray());
    }

    /// <summary>
    /// A random law: mu uniform in [-meanRange, meanRange]^d, Sigma = Q diag(lambda) Q^T with Q a random rotation and the
    /// lambda log-spaced from 1/sqrt(K) to sqrt(K), so that Sigma has condition number K (K = 1: the identity).
    /// </summary>
    /// <exception cref="ArgumentException">d is not positive or above <see cref="MaxRandomDimension"/>, K is below 1 or not finite, or
    /// the range is negative.</exception>
    public static InputDistribution Random(int dimension, double conditionNumber, double meanRange, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (dimension > MaxRandomDimension)
            throw new ArgumentOutOfRangeException(nameof(dimension), $"A random law of d = {dimension} inputs needs a d x d " +
                $"rotation ({8.0 * dimension * dimension / 1e9:G3} GB, about {2.0 * dimension * dimension * dimension:G2} multiply-adds); " +
                $"the limit is d <= {MaxRandomDimension}.");
        if (!(conditionNumber >= 1) || !double.IsFinite(conditionNumber))
            throw new ArgumentException($"The condition number must be finite and at least 1, got {conditionNumber}.", nameof(conditionNumber));
        if (!(meanRange >= 0) || !double.IsFinite(meanRange))
            throw new ArgumentException($"The mean range must be finite and non-negative, got {meanRange}.", nameof(meanRange));
        int d = dimension;
        var random = new CounterGaussian(seed, key: 7);
        var mean = new double[d];
        for (int i = 0; i < d; i++) mean[i] = meanRange * (2 * random.Uniform(i) - 1);
        // Q: Gram-Schmidt of a Gaussian matrix (rows), twice for orthogonality to round-off
        var q = new double[d * d];
        random.Fill(0, q);
        for (int i = 0; i < d; i++)
        {
            Span<double> qi = q.AsSpan(i * d, d);
            for (int pass = 0; pass < 2; pass++)
                for (int j = 0; j < i; j++)
                    TensorPrimitives.MultiplyAdd(q.AsSpan(j * d, d), -TensorPrimitives.Dot(qi, q.AsSpan(j * d, d)), qi, qi);
            TensorPrimitives.Divide(qi, TensorPrimitives.Norm(qi), qi);
        }
        // L = Q^T diag(sqrt(lambda)): Sigma = L L^T = Q^T diag(lambda) Q
        var factor = new double[d * d];
        for (int k = 0; k < d; k++)
        {
            double t = d == 1 ? 0.5 : (double)k / (d - 1);
            double root = Math.Sqrt(Math.Pow(conditionNumber, t - 0.5));
            for (int i = 0; i < d; i++) factor[i * d + k] = q[k * d + i] * root;
        }
        return new InputDistribution(d, mean, factor);
    }

    /// <summary>Maps standard normal rows g (n x d) to x = mu + L g in place.</summary>
    internal void Apply(Span<double> rows, Span<double> scratch)
    {
        int d = Dimension;
        double[] mean = (double[])Mean, factor = (double[])Factor;
        for (int j = 0; j < rows.Length / d; j++)
        {
            Span<double> row = rows.Slice(j * d, d);
            row.CopyTo(scratch);
            for (int i = 0; i < d; i++) row[i] = mean[i] + TensorPrimitives.Dot(factor.AsSpan(i * d, d), scratch[..d]);
        }
    }
}
