using ReluFast.Model;

namespace ReluFast.Tests.Model;

public class GaussianMathTests
{
    /// <summary>Composite Simpson integration of h(g) phi(g) over [-12, 12] (the tails beyond are below 1e-30).</summary>
    private static double GaussianExpectation(Func<double, double> h)
    {
        const int n = 200_000;
        const double lo = -12, hi = 12;
        double step = (hi - lo) / n, sum = 0;
        for (int i = 0; i <= n; i++)
        {
            double t = lo + i * step;
            double weight = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
            sum += weight * h(t) * GaussianMath.NormalPdf(t);
        }
        return sum * step / 3;
    }

    [Theory]
    [InlineData(0, 1e-12)]
    [InlineData(0.3, 1e-12)]
    [InlineData(2.9, 1e-12)]
    [InlineData(-4.2, 1e-12)]
    [InlineData(7.5, 1e-12)]
    public void NormalCdfMatchesIntegration(double t, double tolerance)
    {
        // Phi(t) = E[1{g <= t}]; integrate phi on [-12, t] directly for a smooth integrand.
        const int n = 200_000;
        double lo = -12, step = (t - lo) / n, sum = 0;
        for (int i = 0; i <= n; i++)
        {
            double weight = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
            sum += weight * GaussianMath.NormalPdf(lo + i * step);
        }
        Assert.Equal(sum * step / 3, GaussianMath.NormalCdf(t), tolerance);
    }

    [Fact]
    public void ErfcMatchesKnownValues()
    {
        // Reference values of erfc (Abramowitz and Stegun table 7.1 / high-precision tables).
        Assert.Equal(1.0, GaussianMath.Erfc(0), 15);
        Assert.Equal(0.157299207050285130658, GaussianMath.Erfc(1), 15);
        Assert.Equal(0.004677734981047265838, GaussianMath.Erfc(2), 1e-17);
        Assert.Equal(1.5374597944280348502e-12, GaussianMath.Erfc(5), 1e-24);
        Assert.Equal(1.842700792949714869, GaussianMath.Erfc(-1), 15);
    }

    [Fact]
    public void HermitePolynomialsAreOrthogonalWithNormKFactorial()
    {
        for (int j = 0; j <= 6; j++)
            for (int k = 0; k <= 6; k++)
            {
                double e = GaussianExpectation(t => GaussianMath.Hermite(j, t) * GaussianMath.Hermite(k, t));
                double expected = j == k ? Factorial(k) : 0;
                Assert.True(Math.Abs(e - expected) < 1e-9, $"E[He_{j} He_{k}] = {e}, expected {expected}");
            }
    }

    [Theory]
    [InlineData(-1.5)]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    [InlineData(0.4)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void ReluCoefficientsMatchNumericalIntegration(double b)
    {
        for (int k = 0; k <= 6; k++)
        {
            double numeric = GaussianExpectation(g => Math.Max(g + b, 0) * GaussianMath.Hermite(k, g));
            Assert.True(Math.Abs(numeric - GaussianMath.ReluCoefficient(k, b)) < 1e-9,
                $"c_{k}({b}): closed form {GaussianMath.ReluCoefficient(k, b)}, integral {numeric}");
        }
    }

    [Fact]
    public void CoefficientsVanishWhereTheSectionTwoSaysTheyDo()
    {
        Assert.Equal(0, GaussianMath.ReluCoefficient(3, 0), 15);
        Assert.Equal(0, GaussianMath.ReluCoefficient(4, 1), 15);
        Assert.Equal(0, GaussianMath.ReluCoefficient(4, -1), 15);
        Assert.True(GaussianMath.ReluCoefficient(2, 3) > 0);
    }

    private static double Factorial(int k) => k <= 1 ? 1 : k * Factorial(k - 1);
}
