using System.Numerics;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class SymmetricFormsTests
{
    /// <summary>
    /// Every width (512-bit lanes, 256-bit lanes, one sample a lane) gives each sample the bits of one chain: t_i = p_i, then
    /// t_i = fma(s_ij, x_j, t_i) for j = i .. m - 1, and f = fma(x_i, t_i, f) for i ascending from f = 0. Whole groups of eight steps,
    /// a partial group, a partial last step, m from 1 to past a vector of features; float64 and float32. Summing j in any other order,
    /// or the pairs (i, j) and (j, i) apart, moves the bits of most samples.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(64)]
    public void EveryWidthTakesTheChainOfOneSample(int width) => WithWidth(width, () =>
    {
        foreach (int m in new[] { 1, 2, 5, 8, 16, 19, 33 })
            foreach (int n in new[] { 1, 7, 8, 63, 64, 65, 130, 300 })
            {
                Case<double>(m, n);
                Case<float>(m, n);
            }
    });

    private static void Case<T>(int m, int n) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * m, 7 + m), p = Gaussians<T>(m, 8 + m), s = Gaussians<T>(SymmetricForms.PackedLength(m), 9 + m, 0.4);
        var forms = new T[n + 1];
        forms[n] = T.CreateTruncating(42); // past the samples: untouched
        SymmetricForms.Run<T>(x, m, p, s, forms.AsSpan(0, n), new T[SymmetricForms.TileLength<T>(m)]);
        for (int k = 0; k < n; k++)
        {
            T f = T.Zero;
            for (int i = 0, row = 0; i < m; row += m - i, i++)
            {
                T t = p[i];
                for (int j = i; j < m; j++) t = T.FusedMultiplyAdd(s[row + j - i], x[k * m + j], t);
                f = T.FusedMultiplyAdd(x[k * m + i], t, f);
            }
            Assert.True(f.Equals(forms[k]), $"m = {m}, n = {n}, sample {k}: {forms[k]} against the chain's {f}");
        }
        Assert.Equal(T.CreateTruncating(42), forms[n]);
    }

    [Fact]
    public void RunChecksItsShapes()
    {
        double[] x = new double[12], p = new double[3], s = new double[6], forms = new double[4];
        double[] tile = new double[SymmetricForms.TileLength<double>(3)];
        Assert.Throws<ArgumentException>(() => SymmetricForms.Run<double>(x, 3, p, s, forms.AsSpan(0, 3), tile));
        Assert.Throws<ArgumentException>(() => SymmetricForms.Run<double>(x, 3, p, s.AsSpan(0, 5), forms, tile));
        Assert.Throws<ArgumentException>(() => SymmetricForms.Run<double>(x, 3, p, s, forms, tile.AsSpan(1)));
        SymmetricForms.Run<double>(x, 3, p, s, forms, tile);
        Assert.All(forms, f => Assert.Equal(0, f));
    }
}
