using ReluFast.Evaluation;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Evaluation;

/// <summary>The test MSE on the law the samples came from (x = mu + L g), and the bounds on drawing such a law.</summary>
public class TestErrorUnderALawTests
{
    private const int D = 5;

    // mu and a lower-triangular L (row-major): Sigma = L L^T has eigenvalues from about 0.01 to 9
    private static readonly double[] Mean = [1.0, -0.5, 0.25, 0.0, 2.0];
    private static readonly double[] Factor =
    [
        3.0, 0, 0, 0, 0,
        0.5, 0.1, 0, 0, 0,
        -1.0, 0.2, 1.5, 0, 0,
        0.0, 0.05, 0.3, 0.8, 0,
        0.4, 0.0, -0.2, 0.1, 0.6,
    ];

    [Fact]
    public void TheTestErrorOfALinearDifferenceIsItsSecondMomentUnderTheLaw()
    {
        // model - truth = <c, x>, so the MSE is E[(c^T x)^2] = (c^T mu)^2 + |L^T c|^2 under x = mu + L g, and |c|^2 under N(0, I).
        var truth = RandomTeacher.Create(new TeacherOptions(D, 3), 11);
        double[] c = [0.0, 1.0, 0.0, 0.5, 0.0]; // mostly along directions of small variance under the law
        var model = new ReluNetwork(D, truth.A, truth.W, truth.B, truth.LinearBias, c);
        var law = InputDistribution.FromFactor(Mean, Factor);
        const long n = 400_000;
        var (expected, tolerance) = LinearDifferenceMse(c, law, n);
        var (standard, standardTolerance) = LinearDifferenceMse(c, InputDistribution.Standard(D), n);
        Assert.True(Math.Abs(expected - standard) > 20 * tolerance, "the two laws must give MSEs the test tells apart");

        var (mse, _) = NetworkComparison.TestError(model, truth, n, 3, law);
        Assert.InRange(mse, expected - tolerance, expected + tolerance);
        var comparison = NetworkComparison.Compare(model, truth, n, 3, law);
        Assert.Equal(mse, comparison.TestMse);
        Assert.Equal(NetworkComparison.TestError(model, truth, n, 3).Mse, NetworkComparison.Compare(model, truth, n, 3, inputs: null).TestMse);
        Assert.InRange(NetworkComparison.TestError(model, truth, n, 3).Mse, standard - standardTolerance, standard + standardTolerance);
    }

    /// <summary>
    /// E[(c^T x)^2] = (c^T mu)^2 + |L^T c|^2 under x = mu + L g, and five standard errors of its average over n samples: z = c^T x
    /// is N(m, s^2), so Var(z^2) = 2 s^4 + 4 m^2 s^2.
    /// </summary>
    internal static (double Mse, double Tolerance) LinearDifferenceMse(double[] c, InputDistribution law, long n)
    {
        int d = law.Dimension;
        double mean = 0, variance = 0;
        for (int i = 0; i < d; i++)
        {
            mean += c[i] * law.Mean[i];
            double ltc = 0;
            for (int k = 0; k < d; k++) ltc += law.Factor[k * d + i] * c[k];
            variance += ltc * ltc;
        }
        return (mean * mean + variance, 5 * Math.Sqrt((2 * variance * variance + 4 * mean * mean * variance) / n));
    }

    [Fact]
    public void ALawOfAnotherDimensionIsRefused()
    {
        var truth = RandomTeacher.Create(new TeacherOptions(D, 2), 1);
        var e = Assert.Throws<ArgumentException>(() =>
            NetworkComparison.Compare(truth, truth, 1000, 1, InputDistribution.FromFactor([0.0, 0.0], [1.0, 0, 0, 1.0])));
        Assert.Contains("dimension 2", e.Message);
    }

    [Fact]
    public void TheDefaultTestSamplesCountTheLawsProductPerSample()
    {
        // the budget over d (1 + m + m') values a sample, plus d^2 for x = mu + L g
        var truth = RandomTeacher.Create(new TeacherOptions(600, 1), 2);
        Assert.Equal((long)(NetworkComparison.TestWorkBudget / (600.0 * 3)), NetworkComparison.DefaultTestSamples(truth, truth));
        Assert.Equal((long)(NetworkComparison.TestWorkBudget / (600.0 * 3 + 600.0 * 600)),
            NetworkComparison.DefaultTestSamples(truth, truth, InputDistribution.Standard(600)));
        var large = RandomTeacher.Create(new TeacherOptions(2000, 1), 2);
        var e = Assert.Throws<ArgumentException>(() => NetworkComparison.DefaultTestSamples(large, large, InputDistribution.Standard(2000)));
        Assert.Contains("x = mu + L g", e.Message);
    }

    [Fact]
    public void ARandomLawOverItsDimensionLimitIsRefusedBeforeItsWork()
    {
        // d = 50,000 would overflow d x d, d = 20,000 would take hours: both are refused at once, naming the limit
        foreach (int d in new[] { InputDistribution.MaxRandomDimension + 1, 20_000, 50_000 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => InputDistribution.Random(d, 10, 1, 1));
            Assert.Contains($"d <= {InputDistribution.MaxRandomDimension}", e.Message);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => InputDistribution.Standard(50_000));
        Assert.Equal(3, InputDistribution.Random(3, 10, 1, 1).Dimension);
    }
}
