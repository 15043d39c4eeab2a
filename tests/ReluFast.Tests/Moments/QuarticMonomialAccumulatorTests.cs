using System.Numerics;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// The weighted Gram sums of f = [svec(x x^T); x] from the distinct monomials against a double reference that forms f f^T
/// sample by sample, on every SIMD path and for dimensions whose column groups straddle panels in every way.
/// </summary>
[Collection(MomentCollection.Name)]
public class QuarticMonomialAccumulatorTests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        // d, L, n, SIMD width
        { 1, 1, 1, 0 }, { 2, 3, 300, 0 }, { 3, 1, 777, 0 }, { 5, 3, 513, 0 }, { 7, 2, 400, 0 }, { 10, 3, 1100, 0 },
        { 13, 1, 250, 0 }, { 17, 2, 120, 0 }, { 6, 3, 100, 256 }, { 11, 1, 70, 256 }, { 4, 2, 50, 64 }, { 9, 1, 30, 64 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void DoubleMatchesTheGramOfTheFeatures(int d, int l, int n, int width) => WithWidth(width, () => Check<double>(d, l, n, 23 * d + n));

    [Theory, MemberData(nameof(Shapes))]
    public void FloatMatchesTheGramOfTheFeatures(int d, int l, int n, int width) => WithWidth(width, () => Check<float>(d, l, n, 29 * d + n));

    private static void Check<T>(int d, int l, int n, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * d, seed);
        T[] c = Gaussians<T>(n * l, seed + 1);
        var acc = new QuarticMonomialAccumulator<T>(d, l);
        // two blocks, the first not a whole number of tiles
        int cut = n / 3;
        acc.Accumulate(x.AsSpan(0, cut * d), Slice(c, n, l, 0, cut));
        acc.Accumulate(x.AsSpan(cut * d), Slice(c, n, l, cut, n - cut));
        Assert.Equal(n, acc.Count);
        int dim = d * (d + 1) / 2, f = dim + d;
        Assert.Equal(f, acc.Dimension);
        double[] xd = ToDouble<T>(x), cd = ToDouble<T>(c);
        double gamma = SumBound<T>(n, 512, roundings: 6);
        var features = new double[f];
        for (int q = 0; q < l; q++)
        {
            double s0 = 0, s0Abs = 0;
            var s1 = new double[f]; var s1Abs = new double[f];
            var s2 = new double[f * f]; var s2Abs = new double[f * f];
            for (int j = 0; j < n; j++)
            {
                int a = 0;
                for (int i = 0; i < d; i++)
                    for (int k = i; k < d; k++) features[a++] = (i == k ? 1 : Math.Sqrt(2)) * xd[j * d + i] * xd[j * d + k];
                for (int i = 0; i < d; i++) features[dim + i] = xd[j * d + i];
                double w = cd[q * n + j];
                s0 += w; s0Abs += Math.Abs(w);
                for (int r = 0; r < f; r++)
                {
                    double t = w * features[r];
                    s1[r] += t; s1Abs[r] += Math.Abs(t);
                    for (int s = 0; s < f; s++) { s2[r * f + s] += t * features[s]; s2Abs[r * f + s] += Math.Abs(t * features[s]); }
                }
            }
            AssertWithin([s0], [acc.WeightSum(q)], [gamma * s0Abs], "weight sum");
            var g1 = new double[f]; acc.CopyFirstMoment(q, g1);
            AssertWithin(s1, g1, s1Abs.Select(v => gamma * v).ToArray(), "first moment");
            var g2 = new double[f * f]; acc.CopyGram(q, g2);
            AssertWithin(s2, g2, s2Abs.Select(v => gamma * v).ToArray(), "Gram");
        }
    }

    [Fact]
    public void MergedHalvesEqualOneAccumulatorAndMatchTheFeatureGram()
    {
        const int d = 8, l = 3, n = 2000;
        double[] x = Gaussians<double>(n * d, 31), c = Gaussians<double>(n * l, 32);
        var whole = new QuarticMonomialAccumulator<double>(d, l);
        whole.Accumulate(x, c);
        var a = new QuarticMonomialAccumulator<double>(d, l);
        var b = new QuarticMonomialAccumulator<double>(d, l);
        const int cut = 777;
        a.Accumulate(x.AsSpan(0, cut * d), Slice(c, n, l, 0, cut));
        b.Accumulate(x.AsSpan(cut * d), Slice(c, n, l, cut, n - cut));
        a.Merge(b);
        Assert.Equal(n, a.Count);
        Assert.Throws<ArgumentException>(() => a.Merge(new QuarticMonomialAccumulator<double>(d - 1, l)));
        Assert.Throws<ArgumentException>(() => a.Merge(new QuarticMonomialAccumulator<double>(d, l - 1)));
        Assert.Equal(n, a.Count); // a refused merge adds nothing
        // the Gram of the features themselves, the accumulator the projected pass uses
        int dim = d * (d + 1) / 2, f = dim + d;
        var featureRows = new double[n * f];
        ReluFast.Moments.SymmetricCoordinates.Features<double>(x, d, featureRows, f);
        for (int j = 0; j < n; j++) x.AsSpan(j * d, d).CopyTo(featureRows.AsSpan(j * f + dim, d));
        var gram = new WeightedGramAccumulator<double>(f, l);
        gram.Accumulate(featureRows, c);
        for (int q = 0; q < l; q++)
        {
            double[] merged = new double[f * f], one = new double[f * f], reference = new double[f * f];
            a.CopyGram(q, merged); whole.CopyGram(q, one); gram.CopyGram(q, reference);
            double scale = reference.Max(Math.Abs);
            for (int i = 0; i < f * f; i++)
            {
                Assert.Equal(one[i], merged[i], 1e-11 * scale);
                Assert.Equal(reference[i], one[i], 1e-11 * scale);
            }
            Assert.Equal(whole.WeightSum(q), a.WeightSum(q), 1e-11 * n);
        }
    }

    [Fact]
    public void TheKernelDoesLessThanHalfTheFeatureGramsWorkAtTwentyInputs()
    {
        // The kernel makes the distinct monomials of degree 3 and 4: 10,395 at d = 20 (C(23, 4) + C(22, 3)). The Gram of the 230
        // features computes 27,840 lanes (float64 panels of 8). The padding of this layout (panels, rows in fours) keeps it under 12,000.
        var acc = new QuarticMonomialAccumulator<double>(20, 1);
        Assert.InRange(acc.KernelLanes, 10_395, 12_000);
    }

    private static T[] Slice<T>(T[] c, int n, int l, int start, int count)
    {
        var r = new T[l * count];
        for (int q = 0; q < l; q++) Array.Copy(c, q * n + start, r, q * count, count);
        return r;
    }
}
