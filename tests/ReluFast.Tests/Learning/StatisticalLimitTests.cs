using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Refinement at the statistical limit (docs/algorithm.md section 18): the Fisher information against its closed form and a
/// scalar loop, the streamed refinement against the exact least-squares fit on all samples, and the standard errors
/// against the Cramer-Rao bound at the truth.
/// </summary>
public class StatisticalLimitTests
{
    private static ReluNetwork OneNeuron(int d, double a, double b)
    {
        var w = new double[d];
        for (int k = 0; k < d; k++) w[k] = (k + 1.0) * (k % 2 == 0 ? 1 : -1);
        double norm = Math.Sqrt(w.Sum(v => v * v));
        for (int k = 0; k < d; k++) w[k] /= norm;
        return new ReluNetwork(d, [a], w, [b], 0.3, new double[d]);
    }

    /// <summary>grad f(x) in the flat layout, by the definition.</summary>
    private static double[] Jacobian(ReluNetwork n, ReadOnlySpan<double> x)
    {
        int m = n.Hidden, d = n.InputDim;
        var row = new double[m * d + 2 * m + 1 + d];
        for (int i = 0; i < m; i++)
        {
            double pre = n.B[i];
            for (int k = 0; k < d; k++) pre += n.WeightsOf(i)[k] * x[k];
            if (pre > 0)
            {
                for (int k = 0; k < d; k++) row[i * d + k] = n.A[i] * x[k];
                row[m * d + i] = n.A[i];
                row[m * d + m + i] = pre;
            }
        }
        row[m * d + 2 * m] = 1;
        for (int k = 0; k < d; k++) row[m * d + 2 * m + 1 + k] = x[k];
        return row;
    }

    [Fact]
    public void FisherGramMatchesTheScalarDefinition()
    {
        var network = RandomTeacher.Create(new TeacherOptions(7, 4), 3);
        int n = 3001, d = 7, p = MseGradient.ParameterCount(4, d);
        var x = new double[n * d];
        new CounterGaussian(5).Fill(0, x);
        var gram = FisherInformation.Gram(network, x, n);
        var expected = new double[p * p];
        for (int j = 0; j < n; j++)
        {
            var row = Jacobian(network, x.AsSpan(j * d, d));
            for (int r = 0; r < p; r++)
                for (int c = 0; c < p; c++) expected[r * p + c] += row[r] * row[c] / n;
        }
        for (int k = 0; k < p * p; k++)
            Assert.True(Math.Abs(gram[k] - expected[k]) <= 1e-12 * (1 + Math.Abs(expected[k])), $"entry {k}: {gram[k]} vs {expected[k]}");
    }

    [Fact]
    public void FisherGramIsTheSameBitsForEveryThreadCount()
    {
        var network = RandomTeacher.Create(new TeacherOptions(9, 5), 4);
        int n = 2000, d = 9;
        var x = new double[n * d];
        new CounterGaussian(6).Fill(0, x);
        var one = FisherInformation.Gram(network, x, n, threads: 1);
        foreach (int threads in new[] { 2, 3, 8 }) Assert.Equal(one, FisherInformation.Gram(network, x, n, threads: threads));
    }

    [Theory]
    [InlineData(0.7, 0.4)]
    [InlineData(-1.3, -1.1)]
    public void FisherGramMatchesItsGaussianClosedForm(double a, double b)
    {
        // One unit neuron, z = <w, x> ~ N(0, 1): E 1[z > -b] = Phi(b), E 1 x = phi(b) w, E relu = c_0(b), E relu x = Phi(b) w,
        // E relu^2 = (1 + b^2) Phi(b) + b phi(b), E 1 x x^T = Phi(b) (I - w w^T) + (Phi(b) - b phi(b)) w w^T.
        const int d = 3, n = 400_000;
        var net = OneNeuron(d, a, b);
        var x = new double[n * d];
        new CounterGaussian(11).Fill(0, x);
        var gram = FisherInformation.Gram(net, x, n);
        int p = MseGradient.ParameterCount(1, d);
        double cdf = GaussianMath.NormalCdf(b), pdf = GaussianMath.NormalPdf(b), c0 = b * cdf + pdf;
        var w = net.WeightsOf(0).ToArray();
        var closed = new double[p * p];
        int iB = d, iA = d + 1, iC0 = d + 2, iC = d + 3;
        void Set(int r, int c, double v) { closed[r * p + c] = v; closed[c * p + r] = v; }
        for (int k = 0; k < d; k++)
        {
            for (int l = 0; l < d; l++)
            {
                double ixx = cdf * ((k == l ? 1 : 0) - w[k] * w[l]) + (cdf - b * pdf) * w[k] * w[l];
                Set(k, l, a * a * ixx);
                Set(k, iC + l, a * ixx);
                Set(iC + k, iC + l, k == l ? 1 : 0);
            }
            Set(k, iB, a * a * pdf * w[k]);
            Set(k, iA, a * cdf * w[k]);
            Set(k, iC0, a * pdf * w[k]);
            Set(iB, iC + k, a * pdf * w[k]);
            Set(iA, iC + k, cdf * w[k]);
            Set(iC0, iC + k, 0);
        }
        Set(iB, iB, a * a * cdf);
        Set(iB, iA, a * c0);
        Set(iA, iA, (1 + b * b) * cdf + b * pdf);
        Set(iB, iC0, a * cdf);
        Set(iA, iC0, c0);
        Set(iC0, iC0, 1);
        // Each entry is a mean of n products J_r J_c: five of its standard errors (from the products' own spread) bound it.
        var square = new double[p * p];
        for (int j = 0; j < n; j++)
        {
            var row = Jacobian(net, x.AsSpan(j * d, d));
            for (int r = 0; r < p; r++)
                for (int c = 0; c < p; c++) square[r * p + c] += row[r] * row[r] * row[c] * row[c] / n;
        }
        for (int k = 0; k < p * p; k++)
        {
            double sd = Math.Sqrt(Math.Max(square[k] - gram[k] * gram[k], 0) / n);
            Assert.True(Math.Abs(gram[k] - closed[k]) <= 5 * sd + 1e-15, $"entry ({k / p}, {k % p}): {gram[k]} vs closed form {closed[k]}, sd {sd}");
        }
    }

    [Fact]
    public void NormalisedCovarianceIsZeroAlongTheGaugeAndInvertsTheInformationElsewhere()
    {
        var network = RandomTeacher.Create(new TeacherOptions(5, 3), 8);
        int n = 200_000, d = 5, m = 3, p = MseGradient.ParameterCount(m, d);
        var x = new double[n * d];
        new CounterGaussian(9).Fill(0, x);
        var gram = FisherInformation.Gram(network, x, n);
        var covariance = FisherInformation.Estimate(network, x).NormalisedCovariance();
        // N G^+ N^T G N^T... in short: for any raw direction u, (C G u) = N u (the normalised change), since G is invertible
        // off the gauge and N kills the gauge.
        var u = new double[p];
        new CounterGaussian(10).Fill(0, u);
        var gu = new double[p];
        for (int r = 0; r < p; r++)
            for (int c = 0; c < p; c++) gu[r] += gram[r * p + c] * u[c];
        var cgu = new double[p];
        for (int r = 0; r < p; r++)
            for (int c = 0; c < p; c++) cgu[r] += covariance[r * p + c] * gu[c];
        var nu = new double[p];
        FisherInformation.Normalise(network, u, nu);
        for (int r = 0; r < p; r++) Assert.True(Math.Abs(cgu[r] - nu[r]) < 1e-8 * (1 + Math.Abs(nu[r])), $"{r}: {cgu[r]} vs {nu[r]}");
        // The gauge direction of neuron 1 has no normalised change.
        var v = new double[p];
        network.WeightsOf(1).CopyTo(v.AsSpan(d, d));
        v[m * d + 1] = network.B[1];
        v[m * d + m + 1] = -network.A[1];
        FisherInformation.Normalise(network, v, nu);
        Assert.All(nu, t => Assert.True(Math.Abs(t) < 1e-14));
    }

    private static (ReluNetwork Teacher, TeacherSampleSource<double> Source, double Noise) Noisy(long n, ulong seed)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(5, 3), seed);
        double s = 0.1 * Math.Sqrt(NetworkComparison.TestError(new ReluNetwork(5, [], [], []), teacher, 200_000, 1).TruthVariance);
        return (teacher, new TeacherSampleSource<double>(teacher, n, seed + 50, s), s);
    }

    private static readonly LearnerOptions Small = new() { Hidden = 3, RefinementSamples = 20_000, HeldOutSamples = 10_000, Seed = 4 };

    [Fact]
    public void StreamedRefinementReachesTheLeastSquaresFitOnAllSamples()
    {
        const long N = 400_000;
        var (_, source, _) = Noisy(N, 21);
        var streamed = ReluLearner.Learn(source, Small);
        var inMemory = ReluLearner.Learn(source, Small with { RefineOnAllSamples = false });
        Assert.Equal(N - Small.HeldOutSamples, streamed.FittedSamples);
        Assert.Equal(Small.RefinementSamples, inMemory.FittedSamples);
        // The exact least-squares fit on every sample but the held-out ones [20000, 30000), by L-BFGS to convergence.
        int d = 5, train = (int)(N - Small.HeldOutSamples);
        var x = new double[N * d];
        var y = new double[N];
        source.Read(0, x, y);
        var xs = new double[train * d];
        var ys = new double[train];
        x.AsSpan(0, 20_000 * d).CopyTo(xs);
        x.AsSpan(30_000 * d).CopyTo(xs.AsSpan(20_000 * d));
        y.AsSpan(0, 20_000).CopyTo(ys);
        y.AsSpan(30_000).CopyTo(ys.AsSpan(20_000));
        using var all = new Refinement(xs, ys, d);
        var exact = all.Run(streamed.Network, 3000).Network;
        var se = streamed.StandardErrors!;
        double Distance(ReluNetwork model)
        {
            int[] match = NetworkComparison.MatchNeurons(model, exact);
            double worst = 0;
            for (int i = 0; i < 3; i++)
            {
                int j = match[i];
                worst = Math.Max(worst, Math.Abs(model.A[j] - exact.A[i]) / se.A[j]);
                worst = Math.Max(worst, Math.Abs(model.B[j] - exact.B[i]) / se.B[j]);
                for (int k = 0; k < d; k++)
                    worst = Math.Max(worst, Math.Abs(model.WeightsOf(j)[k] - exact.WeightsOf(i)[k]) / se.W[j * d + k]);
            }
            return worst;
        }
        // Streamed: within a few percent of a standard error of the all-sample fit. In memory (20,000 of 390,000 samples):
        // its own error is sqrt(390000 / 20000) ~ 4.4 standard errors wide, so it is far off in some parameter.
        Assert.True(Distance(streamed.Network) < 0.1, $"streamed fit is {Distance(streamed.Network):G3} standard errors from the least squares");
        Assert.True(Distance(inMemory.Network) > 1, $"in-memory fit is only {Distance(inMemory.Network):G3} standard errors away");
    }

    [Fact]
    public void StandardErrorsAndNoiseMatchTheCramerRaoBoundAtTheTruth()
    {
        const long N = 400_000;
        var (teacher, source, s) = Noisy(N, 22);
        var result = ReluLearner.Learn(source, Small);
        // s^2 is estimated from 390,000 residuals: relative standard error sqrt(2 / n) ~ 0.2%.
        Assert.InRange(result.NoiseVariance / (s * s), 0.99, 1.01);
        var x = new double[1_000_000 * 5];
        new CounterGaussian(23).Fill(0, x);
        var bound = FisherInformation.Estimate(teacher, x).NormalisedCovariance();
        int p = MseGradient.ParameterCount(3, 5);
        int[] match = NetworkComparison.MatchNeurons(result.Network, teacher);
        var se = result.StandardErrors!;
        for (int i = 0; i < 3; i++)
        {
            int j = match[i];
            double cr = Math.Sqrt(bound[(15 + 3 + i) * p + 15 + 3 + i] * s * s / result.FittedSamples);
            // The reported standard error uses the fitted network, the estimated noise and G on 20,000 samples: within 10%.
            Assert.InRange(se.A[j] / cr, 0.9, 1.1);
        }
        Assert.DoesNotContain(result.Warnings, w => w.Code == LearningWarningCode.InsignificantNeuron);
    }

    /// <summary>
    /// The unit of y (docs/algorithm.md section 18). G's rows for W and b carry a factor a_i, those of the output layer none, so
    /// y x 10^4 put the output layer's eigenvalues 10^8 times further below the largest and under the floor of 10^-13: every a_i
    /// got an infinite standard error, and all 15 neurons of a fit at relative held-out MSE 2e-9 warned InsignificantNeuron
    /// (`scripts/cli-audit.py --wide`, seed 40). Formed in the coordinates of f / s, the information of the same network with its
    /// output layer times 2^13 is the same bits: per unit noise variance the covariance of (a, c0, c) is unchanged, that of W and
    /// b divided by 2^26 and the cross terms by 2^13 (the noise variance, times 2^26, then scales the output layer's alone).
    /// </summary>
    [Fact]
    public void TheUnitOfYChangesTheInformationOnlyByItsScale()
    {
        const int d = 12, m = 8, n = 20_000;
        const double Unit = 8192;
        var network = RandomTeacher.Create(new TeacherOptions(d, m, BiasRange: 2.5), 41).Normalized();
        var scaled = new ReluNetwork(d, network.A.ToArray().Select(a => a * Unit).ToArray(), network.W, network.B, 0.5 * Unit,
            Enumerable.Repeat(0.25 * Unit, d).ToArray());
        var plain = new ReluNetwork(d, network.A, network.W, network.B, 0.5, Enumerable.Repeat(0.25, d).ToArray());
        int p = MseGradient.ParameterCount(m, d), outputLayer = MseGradient.OutputLayerStart(m, d);
        var x = new double[n * d];
        new CounterGaussian(42).Fill(0, x);

        var unbalanced = FisherInformation.FromGram(scaled, FisherInformation.Gram(scaled, x, n), p, responseScale: 1).NormalisedCovariance();
        Assert.Contains(unbalanced, double.IsPositiveInfinity); // the case shows the failure: the old information, unit-blind
        double[] expected = FisherInformation.Estimate(plain, x).NormalisedCovariance(), actual = FisherInformation.Estimate(scaled, x)
            .NormalisedCovariance();
        Assert.All(expected, v => Assert.True(double.IsFinite(v)));
        for (int r = 0; r < p; r++)
            for (int c = 0; c < p; c++)
            {
                double factor = (r < outputLayer ? Unit : 1) * (c < outputLayer ? Unit : 1);
                Assert.Equal(expected[r * p + c], actual[r * p + c] * factor);
            }
    }

    [Fact]
    public void NoiselessFitsHaveNoStandardErrors()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(5, 3), 24);
        var result = ReluLearner.Learn(new TeacherSampleSource<double>(teacher, 200_000, 25), Small);
        Assert.Null(result.StandardErrors);
        Assert.True(result.NoiseVariance < 1e-20, $"noise variance {result.NoiseVariance}");
    }
}
