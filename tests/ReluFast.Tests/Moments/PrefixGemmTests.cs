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

/// <summary>
/// The upper triangle's route (pairs of panels, the float64 diagonal blocks, the float32 pairs' first kernels, the kept weighted
/// rows): every entry C[i, j] with i &lt;= j is the chain of FMAs in T over the samples in order, A[k, i] (w_k B[k, j]), added to C
/// once, in float64 and float32, with and without weights and kept rows, on 512-bit vectors and 256-bit ones.
/// </summary>
public class UpperTriangleChainTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    public void EveryUpperEntryIsTheChainOfItsSamples(int panels)
    {
        foreach (int bits in new[] { 0, 256 })
            MomentTestData.WithWidth(bits, () =>
            {
                if (Simd.WidthBits < 256) return; // the scalar kernel sums in double directly
                Check<double>(panels);
                Check<float>(panels);
            });
    }

    private static void Check<T>(int panels) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        const int Samples = 29;
        int columns = panels * PrefixGemm.PanelWidth<T>(), stride = columns + 3, strideC = columns + 1;
        var xd = new double[Samples * stride];
        var wd = new double[Samples];
        new CounterGaussian(51).Fill(0, xd);
        new CounterGaussian(52).Fill(0, wd);
        T[] x = Array.ConvertAll(xd, v => T.CreateTruncating(v)), w = Array.ConvertAll(wd, v => T.CreateTruncating(v));
        var kept = new T[Math.Max(1, PrefixGemm.KeptRowsLength<T>(panels, Samples))];
        foreach (int way in new[] { 0, 1, 2 }) // unweighted, weighted, weighted with kept rows
        {
            var c = new double[columns * strideC];
            for (int e = 0; e < c.Length; e++) c[e] = e * 0.125;
            var expected = (double[])c.Clone();
            PrefixGemm.RunUpperTriangle<T>(x, stride, x, stride, Samples, panels, c, strideC, way == 0 ? default : w,
                keptRows: way == 2 ? kept : default);
            for (int i = 0; i < columns; i++)
                for (int j = i; j < columns; j++)
                {
                    T chain = T.Zero;
                    for (int k = 0; k < Samples; k++)
                    {
                        T bkj = way == 0 ? x[k * stride + j] : x[k * stride + j] * w[k];
                        chain = T.FusedMultiplyAdd(x[k * stride + i], bkj, chain);
                    }
                    expected[i * strideC + j] += double.CreateTruncating(chain);
                }
            for (int i = 0; i < columns; i++)
                for (int j = i; j < columns; j++)
                    Assert.True(expected[i * strideC + j] == c[i * strideC + j],
                        $"{typeof(T).Name}, way {way}: C[{i}, {j}] = {c[i * strideC + j]:R}, the chain gives {expected[i * strideC + j]:R}");
        }
    }
}

/// <summary>
/// A Gram that one kernel covers takes its column and weight sums in that kernel (one read of the tile): the same bits as
/// <see cref="RowScaling"/>'s pass and the product without sums, for float64 and float32 (one panel or an even number).
/// </summary>
public class GramSumsInKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 37)]
    [InlineData(2, 5)]
    [InlineData(2, 130)]
    [InlineData(4, 77)]
    [InlineData(8, 256)]
    [InlineData(12, 9)]
    public void TheSumsAreRowScalingsAndTheProductIsTheSame(int panels, int samples)
    {
        if (!PrefixGemm.SumsInKernel<double>(panels)) return; // no 512-bit vectors: the accumulator takes RowScaling's pass
        Check<double>(panels, samples);
        Check<float>(panels, samples);
        Assert.True(PrefixGemm.SumsInKernel<float>(2));
        Assert.False(PrefixGemm.SumsInKernel<double>(3));
        Assert.False(PrefixGemm.SumsInKernel<float>(3));
    }

    [Theory]
    [InlineData(4, 100)]
    [InlineData(8, 256)]
    [InlineData(5, 31)]
    public void ThePrefetchedNextTileChangesNoBit(int panels, int samples)
    {
        // the kernels prefetch the caller's next tile (one line a sample): with or without it, the same product and sums to the bit
        Same<double>(panels, samples);
        Same<float>(panels, samples);
    }

    [Theory]
    [InlineData(2, 40)]
    [InlineData(3, 9)]
    [InlineData(4, 100)]
    [InlineData(5, 31)]
    [InlineData(8, 256)]
    [InlineData(12, 77)]
    public void TheKeptWeightedRowsChangeNoBit(int panels, int samples)
    {
        // a pair of panels keeps w_k x_k of its columns in its first kernel (float64: its diagonal block) and its other kernels read
        // them: the product each kernel would have formed, so the same Gram (and sums) to the bit; a scratch too short is not used
        if (Simd.WidthBits < 512)
        {
            Assert.Equal(0, PrefixGemm.KeptRowsLength<double>(panels, samples) + PrefixGemm.KeptRowsLength<float>(panels, samples));
            return;
        }
        Assert.Equal(0, PrefixGemm.KeptRowsLength<double>(3, samples));
        Assert.Equal(0, PrefixGemm.KeptRowsLength<float>(1, samples));
        Kept<double>(panels, samples);
        Kept<float>(panels, samples);
    }

    private static void Kept<T>(int panels, int samples) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        int length = PrefixGemm.KeptRowsLength<T>(panels, samples);
        int columns = panels * PrefixGemm.PanelWidth<T>(), strideC = columns + 1;
        Assert.Equal(panels >= (typeof(T) == typeof(double) ? 4 : 2) ? samples * 2 * PrefixGemm.PanelWidth<T>() : 0, length);
        var xd = new double[samples * columns];
        var cd = new double[samples];
        new CounterGaussian(45).Fill(0, xd);
        new CounterGaussian(46).Fill(0, cd);
        T[] x = Array.ConvertAll(xd, v => T.CreateTruncating(v)), c = Array.ConvertAll(cd, v => T.CreateTruncating(v));
        var plain = new double[columns * strideC];
        var kept = new double[columns * strideC];
        var shortScratch = new double[columns * strideC];
        var scratch = new T[Math.Max(1, length)];
        PrefixGemm.RunUpperTriangle<T>(x, columns, x, columns, samples, panels, plain, strideC, c);
        PrefixGemm.RunUpperTriangle<T>(x, columns, x, columns, samples, panels, kept, strideC, c, keptRows: scratch.AsSpan(0, length));
        PrefixGemm.RunUpperTriangle<T>(x, columns, x, columns, samples, panels, shortScratch, strideC, c,
            keptRows: new T[Math.Max(0, length - 1)]);
        Assert.Equal(plain, kept);
        Assert.Equal(plain, shortScratch);
        // the scratch was written where it is used (w_k x_k of the last sample, last column of the pair that kept it)
        Assert.Equal(length > 0, scratch[^1] != T.Zero);
        if (!PrefixGemm.SumsInKernel<T>(panels)) return;
        var sums = new T[columns];
        var sumsKept = new T[columns];
        Array.Clear(plain);
        Array.Clear(kept);
        double w = PrefixGemm.RunUpperTriangleWithSums<T>(x, columns, x, columns, samples, panels, plain, strideC, c, sums, columns);
        double wKept = PrefixGemm.RunUpperTriangleWithSums<T>(x, columns, x, columns, samples, panels, kept, strideC, c, sumsKept,
            columns, keptRows: scratch.AsSpan(0, length));
        Assert.Equal(w, wKept);
        Assert.Equal(sums, sumsKept);
        Assert.Equal(plain, kept);
    }

    private static void Same<T>(int panels, int samples) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        int columns = panels * PrefixGemm.PanelWidth<T>(), strideC = columns + 1;
        var xd = new double[2 * samples * columns];
        var cd = new double[samples];
        new CounterGaussian(43).Fill(0, xd);
        new CounterGaussian(44).Fill(0, cd);
        T[] x = Array.ConvertAll(xd, v => T.CreateTruncating(v)), c = Array.ConvertAll(cd, v => T.CreateTruncating(v));
        ReadOnlySpan<T> tile = x.AsSpan(0, samples * columns), next = x.AsSpan(samples * columns);
        var plain = new double[columns * strideC];
        var ahead = new double[columns * strideC];
        PrefixGemm.RunUpperTriangle<T>(tile, columns, tile, columns, samples, panels, plain, strideC, c);
        PrefixGemm.RunUpperTriangle<T>(tile, columns, tile, columns, samples, panels, ahead, strideC, c, next);
        Assert.Equal(plain, ahead);
        if (!PrefixGemm.SumsInKernel<T>(panels)) return;
        var sums = new T[columns];
        var sumsAhead = new T[columns];
        Array.Clear(plain);
        Array.Clear(ahead);
        double w = PrefixGemm.RunUpperTriangleWithSums<T>(tile, columns, tile, columns, samples, panels, plain, strideC, c, sums, columns);
        double wAhead = PrefixGemm.RunUpperTriangleWithSums<T>(tile, columns, tile, columns, samples, panels, ahead, strideC, c, sumsAhead,
            columns, next);
        Assert.Equal(w, wAhead);
        Assert.Equal(sums, sumsAhead);
        Assert.Equal(plain, ahead);
    }

    private static void Check<T>(int panels, int samples) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        int columns = panels * PrefixGemm.PanelWidth<T>(), stride = columns + 3, strideC = columns + 1;
        var xd = new double[samples * stride];
        var cd = new double[samples];
        new CounterGaussian(41).Fill(0, xd);
        new CounterGaussian(42).Fill(0, cd);
        T[] x = Array.ConvertAll(xd, v => T.CreateTruncating(v)), c = Array.ConvertAll(cd, v => T.CreateTruncating(v));
        var expectedSums = new T[columns];
        double expectedWeights = RowScaling.Run<T>(x, stride, c, columns, default, 0, expectedSums);
        var expected = new double[columns * strideC];
        PrefixGemm.RunUpperTriangle<T>(x, stride, x, stride, samples, panels, expected, strideC, c);
        var sums = new T[columns];
        var gram = new double[columns * strideC];
        double weights = PrefixGemm.RunUpperTriangleWithSums<T>(x, stride, x, stride, samples, panels, gram, strideC, c, sums, columns);
        Assert.Equal(expectedWeights, weights);
        Assert.Equal(expectedSums, sums);
        Assert.Equal(expected, gram);
        // the first 8 rows only (a float32 panel takes the 8-row kernel): those rows and the sums are the same
        Array.Clear(gram);
        weights = PrefixGemm.RunUpperTriangleWithSums<T>(x, stride, x, stride, samples, panels, gram, strideC, c, sums, 8);
        Assert.Equal(expectedWeights, weights);
        Assert.Equal(expectedSums, sums);
        Assert.Equal(expected.AsSpan(0, 8 * strideC).ToArray(), gram.AsSpan(0, 8 * strideC).ToArray());
    }
}
