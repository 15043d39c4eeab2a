using System.Numerics;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class ProjectionTests
{
    [Theory]
    [InlineData(1, 1, 1, 0)]
    [InlineData(5, 3, 7, 0)]
    [InlineData(16, 8, 13, 0)]
    [InlineData(64, 32, 9, 0)]
    [InlineData(33, 17, 10, 0)]
    [InlineData(20, 64, 6, 0)]
    [InlineData(7, 40, 5, 0)]
    [InlineData(12, 9, 11, 256)]
    [InlineData(12, 9, 11, 64)]
    public void MatchesScalarReference(int d, int m, int n, int width) => WithWidth(width, () =>
    {
        Check<double>(d, m, n, d + m + n);
        Check<float>(d, m, n, d + m + n + 1);
    });

    /// <summary>The 256-bit path computes every z_jc as the chain of FMAs over i = 0 .. d - 1, bit for bit (as the 512-bit tiles do).</summary>
    [Theory]
    [InlineData(32, 16, 4101)]
    [InlineData(10, 5, 37)]
    [InlineData(33, 17, 10)]
    [InlineData(16, 3, 21)]
    [InlineData(7, 40, 5)]
    [InlineData(20, 12, 19)]
    public void Width256IsTheFmaChain(int d, int m, int n) => WithWidth(256, () =>
    {
        if (ReluFast.Moments.Kernels.Simd.WidthBits != 256) return; // no 256-bit vectors here
        ExactChain<double>(d, m, n, 3 * d + m);
        ExactChain<float>(d, m, n, 3 * d + m + 1);
    });

    /// <summary>
    /// Columns past the last whole vector (m = 10, 17, 40 on 512-bit doubles) go through the tiles on a zero-padded copy of u, and
    /// still equal the FMA chain bit for bit; d = 600 is too wide for that copy and takes the scalar chain. m = 16 and 24 take the
    /// 8-sample tiles of two vectors (and one), as do m = 32 in float and m = 12 in 256 bits.
    /// </summary>
    [Theory]
    [InlineData(20, 10, 37)]
    [InlineData(16, 17, 21)]
    [InlineData(7, 40, 5)]
    [InlineData(600, 9, 9)]
    [InlineData(24, 24, 19)]
    [InlineData(24, 32, 19)]
    [InlineData(32, 16, 4101)]
    public void TailColumnsAreTheFmaChain(int d, int m, int n)
    {
        ExactChain<double>(d, m, n, 5 * d + m);
        if (m >= 16) ExactChain<float>(d, m, n, 5 * d + m + 1); // fewer float columns than one vector: the narrow path's dot products
    }

    private static void ExactChain<T>(int d, int m, int n, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * d, seed), u = Gaussians<T>(d * m, seed + 1);
        var z = new T[n * m];
        Projection.Project<T>(x, d, u, m, z);
        for (int j = 0; j < n; j++)
            for (int c = 0; c < m; c++)
            {
                T acc = T.Zero;
                for (int i = 0; i < d; i++) acc = T.FusedMultiplyAdd(x[j * d + i], u[i * m + c], acc);
                Assert.Equal(acc, z[j * m + c]);
            }
    }

    private static void Check<T>(int d, int m, int n, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * d, seed), u = Gaussians<T>(d * m, seed + 1);
        var z = new T[n * m];
        Projection.Project<T>(x, d, u, m, z);
        double[] xd = ToDouble<T>(x), ud = ToDouble<T>(u);
        var expected = new double[n * m]; var bound = new double[n * m];
        double gamma = SumBound<T>(d, d, roundings: 1);
        for (int j = 0; j < n; j++)
            for (int c = 0; c < m; c++)
            {
                double s = 0, a = 0;
                for (int i = 0; i < d; i++) { s += xd[j * d + i] * ud[i * m + c]; a += Math.Abs(xd[j * d + i] * ud[i * m + c]); }
                expected[j * m + c] = s;
                bound[j * m + c] = gamma * a + UnitRoundoff<T>() * Math.Abs(s);
            }
        AssertWithin(expected, ToDouble<T>(z), bound, $"z ({typeof(T).Name})");
    }

    [Fact]
    public void RejectsMismatchedShapesAndDoesNotAllocate()
    {
        Assert.Throws<ArgumentException>(() => Projection.Project<double>(new double[10], 5, new double[10], 3, new double[6]));
        Assert.Throws<ArgumentException>(() => Projection.Project<double>(new double[10], 5, new double[15], 3, new double[5]));
        double[] x = Gaussians<double>(64 * 100, 1), u = Gaussians<double>(64 * 32, 2), z = new double[100 * 32];
        Projection.Project<double>(x, 64, u, 32, z);
        Assert.Equal(0, SteadyStateAllocatedBytes(() => Projection.Project<double>(x, 64, u, 32, z), 10));
    }
}
