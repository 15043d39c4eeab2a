using System.Numerics;
using ReluFast.Moments.Kernels;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>
/// Row scaling (the weighted side of every Gram-type product) writes c_k x_k and sums each column over the samples in their
/// order, whatever group of vectors a column falls in (8, 4, 2 or 1 at a time on 512-bit machines), and the weights in double
/// (inside the first group's loop there): the same bits as the sequential sums, on every path, with the scaled rows written
/// or not (the kernels that weight the rows themselves need only the sums).
/// </summary>
public class RowScalingTests
{
    [Theory]
    [InlineData(1, 37)]
    [InlineData(2, 136)]
    [InlineData(3, 50)]
    [InlineData(4, 128)]
    [InlineData(6, 17)]
    [InlineData(7, 64)]
    [InlineData(8, 33)]
    [InlineData(15, 40)]
    public void ScaledRowsAndColumnSumsAreTheSequentialOnes(int vectors, int n)
    {
        foreach (int bits in new[] { 0, 256, 64 })
            MomentTestData.WithWidth(bits, () =>
            {
                foreach (bool storing in new[] { true, false })
                {
                    Check<double>(vectors, n, storing);
                    Check<float>(vectors, n, storing);
                }
            });
    }

    private static void Check<T>(int vectors, int n, bool storing) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int columns = vectors * Simd.PadUnit<T>(), strideX = columns + 3, stride = columns + 5;
        var xd = new double[n * strideX];
        var cd = new double[n];
        new CounterGaussian(21).Fill(0, xd);
        new CounterGaussian(22).Fill(0, cd);
        T[] x = Array.ConvertAll(xd, v => T.CreateTruncating(v)), c = Array.ConvertAll(cd, v => T.CreateTruncating(v));
        var scaled = new T[storing ? n * stride : 0];
        var sums = new T[columns];
        double weightSum = RowScaling.Run<T>(x, strideX, c, columns, scaled, stride, sums);
        double expectedWeights = 0;
        foreach (T ck in c) expectedWeights += double.CreateTruncating(ck);
        Assert.Equal(expectedWeights, weightSum);
        for (int j = 0; j < columns; j++)
        {
            T sum = T.Zero;
            for (int k = 0; k < n; k++)
            {
                T p = x[k * strideX + j] * c[k];
                if (storing) Assert.Equal(p, scaled[k * stride + j]);
                sum += p;
            }
            Assert.Equal(sum, sums[j]);
        }
    }
}
