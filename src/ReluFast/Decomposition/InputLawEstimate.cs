using System.Numerics.Tensors;
using ReluFast.Model;

namespace ReluFast.Decomposition;

/// <summary>
/// The law of the inputs as the samples show it (docs/algorithm.md section 17): mean mu, covariance Sigma, the whitening
/// z = M (x - mu) onto the r directions in which x varies (M is r x d, M Sigma M^T = I_r), whether (mu, Sigma) is consistent
/// with N(0, I) at the sampling error, and the skewness and excess kurtosis of marginals (the d coordinates of x, then random
/// directions), each with its standard error under a Gaussian law.
/// </summary>
internal sealed class InputLawEstimate
{
    /// <summary>Eigenvalues of Sigma below this fraction of the largest are directions in which x does not vary.</summary>
    public const double RankTolerance = 1e-9;

    private InputLawEstimate(int dimension, long samples, double[] mean, double[] covariance, double[] eigenvalues, int rank,
        double[] whitening, double[] skewness, double[] excessKurtosis, double standardStatistic, double standardThreshold)
    {
        Dimension = dimension;
        Samples = samples;
        Mean = mean;
        Covariance = covariance;
        Eigenvalues = eigenvalues;
        Rank = rank;
        Whitening = whitening;
        Skewness = skewness;
        ExcessKurtosis = excessKurtosis;
        StandardStatistic = standardStatistic;
        StandardThreshold = standardThreshold;
    }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Samples behind the estimate.</summary>
    public long Samples { get; }

    /// <summary>mu (d values).</summary>
    public double[] Mean { get; }

    /// <summary>Sigma (d x d, row-major).</summary>
    public double[] Covariance { get; }

    /// <summary>Eigenvalues of Sigma, largest first.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>Directions in which x varies (eigenvalues above <see cref="RankTolerance"/> x the largest).</summary>
    public int Rank { get; }

    /// <summary>M (r x d, row-major): z = M (x - mu) has identity covariance.</summary>
    public double[] Whitening { get; }

    /// <summary>Sample skewness of each marginal tested.</summary>
    public double[] Skewness { get; }

    /// <summary>Sample excess kurtosis of each marginal tested.</summary>
    public double[] ExcessKurtosis { get; }

    /// <summary>Standard error of the skewness under a Gaussian law, sqrt(6 / N).</summary>
    public double SkewnessError => Math.Sqrt(6.0 / Samples);

    /// <summary>Standard error of the excess kurtosis under a Gaussian law, sqrt(24 / N).</summary>
    public double KurtosisError => Math.Sqrt(24.0 / Samples);

    /// <summary>
    /// max over j, k of |mu_j| / sqrt(1/N) and |Sigma_jk - delta_jk| / sqrt((1 + delta_jk) / N): the largest deviation from N(0, I)
    /// in units of its standard error (infinite when x does not vary in some direction).
    /// </summary>
    public double StandardStatistic { get; }

    /// <summary>The level of <see cref="StandardStatistic"/> that N(0, I) inputs stay below: sqrt(2 ln(2 K)) + 2 for K entries.</summary>
    public double StandardThreshold { get; }

    /// <summary>Whether the mean and covariance are those of N(0, I) within the sampling error (no whitening needed).</summary>
    public bool IsStandard => StandardStatistic <= StandardThreshold;

    /// <summary>Largest eigenvalue of Sigma over its smallest kept one.</summary>
    public double ConditionNumber => Eigenvalues[0] / Eigenvalues[Rank - 1];

    /// <summary>
    /// The largest |skewness| / its standard error and |excess kurtosis| / its standard error over the marginals, with the
    /// marginal's index.
    /// </summary>
    public (double Z, int Index, bool Kurtosis) LargestDeviation()
    {
        (double z, int index, bool kurtosis) = (0, -1, false);
        for (int k = 0; k < Skewness.Length; k++)
        {
            double zs = Math.Abs(Skewness[k]) / SkewnessError, zk = Math.Abs(ExcessKurtosis[k]) / KurtosisError;
            if (!(zs <= z)) (z, index, kurtosis) = (zs, k, false);
            if (!(zk <= z)) (z, index, kurtosis) = (zk, k, true);
        }
        return (z, index, kurtosis);
    }

    /// <summary>
    /// An affine map z = U^T (x - mu) with identity covariance onto the directions where x varies, from Sigma: U = V_r
    /// Lambda_r^{-1/2} (d x r) and its right inverse V_r Lambda_r^{1/2} (U^T times it is I_r).
    /// </summary>
    public static (double[] U, double[] Back, int Rank, double[] Eigenvalues) Whiten(ReadOnlySpan<double> covariance, int d)
    {
        var spectrum = SymmetricSpectrum.Compute(covariance, d); // a covariance is positive semidefinite: |value| order is value order
        var values = spectrum.Values.Select(v => Math.Max(v, 0)).ToArray();
        double largest = values[0];
        int rank = largest > 0 ? values.Count(v => v > RankTolerance * largest) : 0;
        var u = new double[d * rank];
        var back = new double[d * rank];
        for (int k = 0; k < rank; k++)
        {
            ReadOnlySpan<double> v = spectrum.Vector(k);
            double root = Math.Sqrt(values[k]);
            for (int i = 0; i < d; i++)
            {
                u[i * rank + k] = v[i] / root;
                back[i * rank + k] = v[i] * root;
            }
        }
        return (u, back, rank, values);
    }

    /// <summary>
    /// The estimate from the sums of the input pass over z0 = U0^T (x - mu0) (<c>InputLawWorker</c>): mean and Gram sums of z0
    /// (g coordinates), and the power sums of the g + K marginals.
    /// </summary>
    /// <param name="d">Input dimension.</param>
    /// <param name="mu0">The pass's centre (d).</param>
    /// <param name="back0">d x g: the right inverse of U0^T (x - mu0 = back0 z0 on the directions where x varies).</param>
    /// <param name="n">Samples.</param>
    /// <param name="first">sum z0 (g).</param>
    /// <param name="gram">sum z0 z0^T (g x g).</param>
    /// <param name="powers">sum p^k, k = 1..4, of every marginal tested ((k - 1) c + j).</param>
    public static InputLawEstimate FromSums(int d, ReadOnlySpan<double> mu0, ReadOnlySpan<double> back0, long n,
        ReadOnlySpan<double> first, ReadOnlySpan<double> gram, ReadOnlySpan<double> powers)
    {
        int g = first.Length;
        if (n < 2) throw new ArgumentException($"{n} samples cannot estimate a covariance.", nameof(n));
        var m = new double[g];
        TensorPrimitives.Divide(first, n, m);
        var c = new double[g * g];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < g; j++)
                c[i * g + j] = gram[i * g + j] / n - m[i] * m[j];
        // mu = mu0 + back0 m; Sigma = back0 C back0^T
        var mean = mu0.ToArray();
        var bc = new double[d * g];
        for (int i = 0; i < d; i++)
        {
            ReadOnlySpan<double> bi = back0.Slice(i * g, g);
            mean[i] += TensorPrimitives.Dot(bi, m);
            for (int j = 0; j < g; j++)
            {
                double s = 0;
                for (int k = 0; k < g; k++) s += bi[k] * c[k * g + j];
                bc[i * g + j] = s;
            }
        }
        var sigma = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
                sigma[i * d + j] = sigma[j * d + i] = TensorPrimitives.Dot(bc.AsSpan(i * g, g), back0.Slice(j * g, g));
        var (u, _, rank, values) = Whiten(sigma, d);
        var whitening = new double[rank * d];
        for (int k = 0; k < rank; k++)
            for (int i = 0; i < d; i++)
                whitening[k * d + i] = u[i * rank + k];

        double statistic = rank < d ? double.PositiveInfinity : 0;
        double rootN = Math.Sqrt(n);
        for (int i = 0; i < d && double.IsFinite(statistic); i++)
        {
            statistic = Math.Max(statistic, Math.Abs(mean[i]) * rootN);
            for (int j = 0; j <= i; j++)
            {
                double target = i == j ? 1 : 0;
                statistic = Math.Max(statistic, Math.Abs(sigma[i * d + j] - target) * rootN / Math.Sqrt(1 + target));
            }
        }
        if (double.IsNaN(statistic)) statistic = double.PositiveInfinity;
        double entries = d + d * (d + 1) / 2.0;
        double threshold = Math.Sqrt(2 * Math.Log(2 * entries)) + 2;

        int marginals = powers.Length / 4;
        var skew = new double[marginals];
        var kurt = new double[marginals];
        for (int k = 0; k < marginals; k++)
        {
            double e1 = powers[k] / n, e2 = powers[marginals + k] / n, e3 = powers[2 * marginals + k] / n, e4 = powers[3 * marginals + k] / n;
            double mu2 = e2 - e1 * e1;
            double mu3 = e3 - 3 * e1 * e2 + 2 * e1 * e1 * e1;
            double mu4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 * e1 * e1 * e1;
            skew[k] = mu2 > 0 ? mu3 / Math.Pow(mu2, 1.5) : 0;
            kurt[k] = mu2 > 0 ? mu4 / (mu2 * mu2) - 3 : 0;
        }
        return new InputLawEstimate(d, n, mean, sigma, values, rank, whitening, skew, kurt, statistic, threshold);
    }

    /// <summary>
    /// The network f(M (x - mu)) of x, for a network f learned on the whitened inputs z: w_x = M^T w, b_x = b - w_x^T mu, and
    /// likewise for the linear remainder, then every w_x scaled to unit length (relu is positively homogeneous).
    /// </summary>
    public ReluNetwork ToInputCoordinates(ReluNetwork whitened)
    {
        ArgumentNullException.ThrowIfNull(whitened);
        if (whitened.InputDim != Rank)
            throw new ArgumentException($"The network takes {whitened.InputDim} inputs, the whitened coordinates are {Rank}.", nameof(whitened));
        int d = Dimension, h = whitened.Hidden;
        var w = new double[h * d];
        var b = new double[h];
        for (int i = 0; i < h; i++)
        {
            Pull(whitened.WeightsOf(i), w.AsSpan(i * d, d));
            b[i] = whitened.B[i] - TensorPrimitives.Dot<double>(w.AsSpan(i * d, d), Mean);
        }
        var c = new double[d];
        Pull(whitened.LinearWeights, c);
        double c0 = whitened.LinearBias - TensorPrimitives.Dot<double>(c, Mean);
        var network = new ReluNetwork(d, whitened.A, w, b, c0, c);
        return h == 0 ? network : network.Normalized();
    }

    private void Pull(ReadOnlySpan<double> wz, Span<double> wx)
    {
        wx.Clear();
        for (int k = 0; k < Rank; k++) TensorPrimitives.MultiplyAdd(Whitening.AsSpan(k * Dimension, Dimension), wz[k], wx, wx);
    }
}
