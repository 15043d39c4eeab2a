using System.Numerics;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class ControlVariateTests
{
    [Fact]
    public void EvaluateIsTheHermiteForm()
    {
        // p(x) = 1 + 2 x0 - x1 + 1/2 (x^T Q x - tr Q) with Q = [[2, 1], [1, 4]] at x = (0.5, -1)
        var p = ControlVariate.Quadratic(1, [2, -1], [2, 1, 1, 4]);
        double quad = 2 * 0.25 + 2 * 1 * 0.5 * -1 + 4 * 1;
        Assert.Equal(1 + 1 + 1 + 0.5 * (quad - 6), p.Evaluate([0.5, -1]), 14);
        Assert.Equal(2, p.Degree);
        Assert.Equal(1, ControlVariate.Linear(0, [1, 2]).Degree);
        Assert.Equal(0, ControlVariate.Constant(2, 3).Degree);
        Assert.Equal(-1, ControlVariate.None(2).Degree);
        Assert.Equal(0, ControlVariate.None(2).Evaluate([1, 2]));
        Assert.Throws<ArgumentException>(() => ControlVariate.Quadratic(0, [1, 2], [1, 2, 3]));
    }

    public static TheoryData<int, int, int> Cases => new()
    {
        // degree, d, SIMD width
        { -1, 3, 0 }, { 0, 3, 0 }, { 1, 1, 0 }, { 1, 19, 0 }, { 2, 1, 0 }, { 2, 7, 0 }, { 2, 64, 0 }, { 2, 33, 256 }, { 2, 5, 64 },
    };

    [Theory, MemberData(nameof(Cases))]
    public void ApplyMatchesEvaluate(int degree, int d, int width) => WithWidth(width, () =>
    {
        Check<double>(degree, d);
        Check<float>(degree, d);
    });

    private static void Check<T>(int degree, int d) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int n = 300;
        double c0 = 0.7;
        double[] c1 = Gaussians<double>(d, 40 + d), q = Gaussians<double>(d * d, 41 + d, 0.3);
        ControlVariate p = degree switch
        {
            -1 => ControlVariate.None(d),
            0 => ControlVariate.Constant(d, c0),
            1 => ControlVariate.Linear(c0, c1),
            _ => ControlVariate.Quadratic(c0, c1, q),
        };
        T[] x = Gaussians<T>(n * d, 50 + d), y = Gaussians<T>(n, 51 + d, 3);
        var yt = new T[n];
        p.Apply<T>(x, y, yt);
        double[] xd = ToDouble<T>(x);
        double u = UnitRoundoff<T>();
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<double> xj = xd.AsSpan(j * d, d);
            double expected = double.CreateTruncating(y[j]) - p.Evaluate(xj);
            // magnitude of every term that is rounded: |y|, |c0|, |c1_i x_i|, |x_i Q_ik x_k| / 2, |tr Q| / 2
            double mag = Math.Abs(double.CreateTruncating(y[j])) + Math.Abs(c0);
            if (degree >= 1) for (int i = 0; i < d; i++) mag += Math.Abs(c1[i] * xj[i]);
            if (degree == 2)
                for (int i = 0; i < d; i++)
                {
                    mag += 0.5 * Math.Abs(q[i * d + i]);
                    for (int k = 0; k < d; k++) mag += 0.5 * Math.Abs(xj[i] * q[i * d + k] * xj[k]);
                }
            double bound = (2 * d + 8) * u * mag;
            Assert.True(Math.Abs(double.CreateTruncating(yt[j]) - expected) <= bound,
                $"sample {j}: expected {expected}, got {yt[j]}, bound {bound}");
        }
        // in place
        T[] copy = (T[])y.Clone();
        p.Apply<T>(x, copy, copy);
        Assert.Equal(yt, copy);
    }

    /// <summary>The quadratic control variate's bits do not depend on the vector width (its forms take one chain a sample).</summary>
    [Fact]
    public void TheQuadraticFormIsTheSameOnEveryWidth()
    {
        const int d = 11, n = 203;
        var p = ControlVariate.Quadratic(0.3, Gaussians<double>(d, 5), Gaussians<double>(d * d, 6, 0.5));
        double[] x = Gaussians<double>(n * d, 7), y = Gaussians<double>(n, 8, 2);
        float[] xf = Gaussians<float>(n * d, 7), yf = Gaussians<float>(n, 8, 2);
        (double[], float[]) Run(int width)
        {
            double[] yt = new double[n];
            float[] ytf = new float[n];
            WithWidth(width, () =>
            {
                p.Apply<double>(x, y, yt);
                p.Apply<float>(xf, yf, ytf);
            });
            return (yt, ytf);
        }
        var wide = Run(0);
        foreach (int width in new[] { 256, 64 })
        {
            var other = Run(width);
            Assert.Equal(wide.Item1, other.Item1);
            Assert.Equal(wide.Item2, other.Item2);
        }
    }

    [Fact]
    public void ApplyDoesNotAllocateAfterWarmUp()
    {
        const int d = 16, n = 500;
        var p = ControlVariate.Quadratic(0.1, Gaussians<double>(d, 1), Gaussians<double>(d * d, 2));
        float[] x = Gaussians<float>(n * d, 3), y = Gaussians<float>(n, 4), yt = new float[n];
        p.Apply<float>(x, y, yt);
        Assert.Equal(0, SteadyStateAllocatedBytes(() => p.Apply<float>(x, y, yt), 10));
    }
}
