using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// A neuron's (a, b) from its Hermite coefficients stays within what the samples support (issue 13: a = l_2 / phi(b) reached
/// 10^10 when a noisy l_2 put b far in a tail): closed forms against Monte Carlo, and the learner's moment estimates at small N.
/// </summary>
public class NeuronCoefficientTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void NonlinearVarianceMatchesMonteCarlo(double beta)
    {
        const int n = 2_000_000;
        var g = new double[n];
        new CounterGaussian(5, key: 3).Fill(0, g);
        double sum = 0, sum2 = 0, sum4 = 0;
        foreach (double v in g)
        {
            double r = Math.Max(v - beta, 0);
            sum += r; sum2 += r * r; sum4 += r * r * r * r;
        }
        double mean = sum / n, variance = sum2 / n - mean * mean;
        double se = Math.Sqrt((sum4 / n - (sum2 / n) * (sum2 / n)) / n); // the spread of the second moment dominates
        Assert.InRange(NeuronCoefficients.NonlinearVariance(beta), variance - 5 * se, variance + 5 * se);
        // b and -b carry the same nonlinear part (relu(g + b) = g + b + relu(-g - b))
        Assert.Equal(NeuronCoefficients.NonlinearVariance(beta), NeuronCoefficients.NonlinearVariance(-beta));
    }

    [Theory]
    [InlineData(1e4)]
    [InlineData(1e6)]
    [InlineData(1e9)]
    public void BiasLimitLeavesTenSamplesPastTheKink(double samples)
    {
        double limit = NeuronCoefficients.BiasLimit(samples);
        Assert.Equal(NeuronCoefficients.MinimumKinkSamples, samples * (1 - GaussianMath.NormalCdf(limit)), 1e-6);
    }

    [Fact]
    public void PlainCoefficientsComeBackExactlyAndTailsAreBounded()
    {
        // a = 0.8, b = -1.2: l_2 = a phi(b), l_3 = -a b phi(b)
        double phi = GaussianMath.NormalPdf(-1.2);
        var (a, b) = NeuronCoefficients.FromHermite(0.8 * phi, 0.8 * 1.2 * phi, 1e6, 1.0, out bool limited);
        Assert.False(limited);
        Assert.Equal(0.8, a, 1e-14);
        Assert.Equal(-1.2, b, 1e-14);

        // l_3 / l_2 = -12: b far beyond what 10^6 samples show; the plain a would be 1e-3 / phi(12) ~ 4e28
        (a, b) = NeuronCoefficients.FromHermite(1e-3, 12e-3, 1e6, 1.0, out limited);
        Assert.True(limited);
        Assert.Equal(-NeuronCoefficients.BiasLimit(1e6), b);
        Assert.True(a * a * NeuronCoefficients.NonlinearVariance(b) <= 1.0 * (1 + 1e-12), $"a = {a}");
    }

    /// <summary>
    /// The learner's moment estimates at small N (no refinement): no neuron's nonlinear part varies more than y does, and no
    /// bias lies beyond the kink that ten samples cross. Before the bound, a = l_2 / phi(b) with b up to 12 broke both.
    /// </summary>
    [Fact]
    public void MomentEstimatesAtSmallNStayWithinTheData()
    {
        foreach (long n in new long[] { 5_000, 10_000, 20_000, 50_000 })
            for (ulong seed = 1; seed <= 6; seed++)
            {
                var teacher = RandomTeacher.Create(new TeacherOptions(20, 10), seed);
                var source = new TeacherSampleSource<double>(teacher, n, seed + 1000);
                var result = ReluLearner.Learn(source, new LearnerOptions { Hidden = 10, Refine = false, Seed = seed, Threads = 2 },
                    LearnerMode.FullRank);
                var moment = result.MomentEstimate;
                double limit = NeuronCoefficients.BiasLimit(n);
                for (int i = 0; i < moment.Hidden; i++)
                {
                    double norm = Math.Sqrt(moment.WeightsOf(i).ToArray().Sum(v => v * v));
                    double a = moment.A[i] * norm, b = moment.B[i] / norm;
                    Assert.True(Math.Abs(b) <= limit * (1 + 1e-12), $"N = {n}, seed {seed}, neuron {i}: b = {b} beyond {limit}");
                    Assert.True(a * a * NeuronCoefficients.NonlinearVariance(b) <= result.HeldOutVariance * 1.05,
                        $"N = {n}, seed {seed}, neuron {i}: a = {a}, b = {b}, Var y = {result.HeldOutVariance}");
                }
            }
    }
}
