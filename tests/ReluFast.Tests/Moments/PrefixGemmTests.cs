using ReluFast.Moments.Kernels;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>
/// The prefix GEMM's register tiles on vector hardware: every entry C[i, j] of a panel's rows is the chain of FMAs over the
/// samples in order, A[k, i] B[k, j] (times w_k), added to C once, whichever kernel the row count selects (24, 16, 12, 8 and 4 rows of
/// one panel; 12, 8 and 4 rows of two), on 512-bit and 256-bit paths.
/// </summary>
public class PrefixGemmTests
{
    [Theory]
    [InlineData(new[] { 4 })]
    [InlineData(new[] { 12 })]
    [InlineData(new[] { 16 })]
    [InlineData(new[] { 20 })]
    [InlineData(new[] { 28 })]
    [InlineData(new[] { 36 })]
    [InlineData(new[] { 44 })]
    [InlineData(new[] { 36, 36 })]
    [InlineData(new[] { 8, 24 })]
    [InlineData(new[] { 8, 20, 36 })]
    [InlineData(new[] { 16, 16, 16, 40 })]
    public void EveryEntryIsTheChainOfItsSamples(int[] rowEnds)
    {
        foreach (int bits in new[] { 0, 256 }) MomentTestData.WithWidth(bits, () => Check(rowEnds));
    }

    private static void Check(int[] rowEnds)
    {
        if (Simd.WidthBits < 256) return; // the scalar kernel sums in double directly
        const int Samples = 37;
        int w = PrefixGemm.PanelWidth<double>(), columns = rowEnds.Length * w, rows = rowEnds[^1];
        int strideA = rows + 3, strideB = columns + 5, strideC = columns + 2;
        var a = new double[Samples * strideA];
        var b = new double[Samples * strideB];
        var weights = new double[Samples];
        new CounterGaussian(31).Fill(0, a);
        new CounterGaussian(32).Fill(0, b);
        new CounterGaussian(33).Fill(0, weights);
        foreach (bool weighted in new[] { false, true })
        {
            var c = new double[rows * strideC];
            for (int e = 0; e < c.Length; e++) c[e] = e * 0.25;
            var expected = (double[])c.Clone();
            PrefixGemm.Run<double>(a, strideA, b, strideB, Samples, rowEnds, c, strideC, weighted ? weights : default);
            for (int v = 0; v < rowEnds.Length; v++)
                for (int i = 0; i < rowEnds[v]; i++)
                    for (int j = v * w; j < (v + 1) * w; j++)
                    {
                        double chain = 0;
                        for (int k = 0; k < Samples; k++)
                        {
                            double bkj = weighted ? b[k * strideB + j] * weights[k] : b[k * strideB + j];
                            chain = Math.FusedMultiplyAdd(a[k * strideA + i], bkj, chain);
                        }
                        expected[i * strideC + j] += chain;
                    }
            Assert.Equal(expected, c);
        }
    }
}
