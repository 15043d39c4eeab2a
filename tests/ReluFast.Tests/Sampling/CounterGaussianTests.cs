using ReluFast.Sampling;

namespace ReluFast.Tests.Sampling;

public class CounterGaussianTests
{
    [Fact]
    public void AnyRangeGivesTheSameValuesAsOneLongFill()
    {
        var g = new CounterGaussian(42, 3);
        var whole = new double[1001];
        g.Fill(0, whole);
        foreach (var (start, length) in new[] { (0, 1), (1, 1), (7, 50), (333, 333), (999, 2), (500, 501) })
        {
            var part = new double[length];
            g.Fill(start, part);
            Assert.Equal(whole.AsSpan(start, length).ToArray(), part);
        }
    }

    [Fact]
    public void SeedsAndKeysGiveDifferentStreams()
    {
        var a = new double[8]; var b = new double[8]; var c = new double[8];
        new CounterGaussian(1, 0).Fill(0, a);
        new CounterGaussian(2, 0).Fill(0, b);
        new CounterGaussian(1, 1).Fill(0, c);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void MomentsAreThoseOfAStandardNormalWithinFiveStandardErrors()
    {
        const int n = 2_000_000;
        var z = new double[n];
        new CounterGaussian(2024).Fill(0, z);
        double m1 = 0, m2 = 0, m3 = 0, m4 = 0, lag = 0;
        for (int i = 0; i < n; i++)
        {
            double t = z[i], t2 = t * t;
            m1 += t; m2 += t2; m3 += t2 * t; m4 += t2 * t2;
            if (i > 0) lag += t * z[i - 1];
        }
        m1 /= n; m2 /= n; m3 /= n; m4 /= n; lag /= n - 1;
        // Standard errors: sqrt(Var/n) with Var(g) = 1, Var(g^2) = 2, Var(g^3) = 15, Var(g^4) = 96, Var(g g') = 1.
        double se = 1 / Math.Sqrt(n);
        Assert.InRange(m1, -5 * se, 5 * se);
        Assert.InRange(m2, 1 - 5 * Math.Sqrt(2) * se, 1 + 5 * Math.Sqrt(2) * se);
        Assert.InRange(m3, -5 * Math.Sqrt(15) * se, 5 * Math.Sqrt(15) * se);
        Assert.InRange(m4, 3 - 5 * Math.Sqrt(96) * se, 3 + 5 * Math.Sqrt(96) * se);
        Assert.InRange(lag, -5 * se, 5 * se);
        // The tail: P(g > 3) = 0.0013499, binomial standard error.
        double p = z.Count(t => t > 3) / (double)n, p0 = 0.0013498980316301;
        Assert.InRange(p, p0 - 5 * Math.Sqrt(p0 / n), p0 + 5 * Math.Sqrt(p0 / n));
    }
}
