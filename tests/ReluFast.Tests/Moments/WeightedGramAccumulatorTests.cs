using System.Numerics;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class WeightedGramAccumulatorTests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        // d, L, n, SIMD width (0 = hardware, 256, 64 = scalar); beyond 16 panels (d = 130 in float64, 260 in both) the kernels read
        // c o x on vectors narrower than 512 bits
        { 1, 1, 1, 0 }, { 1, 2, 700, 0 }, { 3, 1, 1031, 0 }, { 8, 3, 257, 0 }, { 15, 1, 600, 0 }, { 16, 2, 1300, 0 },
        { 17, 1, 999, 0 }, { 33, 2, 613, 0 }, { 64, 1, 1100, 0 }, { 70, 3, 300, 0 }, { 130, 1, 200, 0 }, { 256, 1, 150, 0 },
        { 260, 2, 40, 0 },
        { 17, 2, 301, 256 }, { 64, 1, 300, 256 }, { 5, 2, 77, 64 }, { 33, 1, 90, 64 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void DoubleMatchesScalarReference(int d, int l, int n, int width) =>
        WithWidth(width, () => CheckAgainstReference<double>(d, l, n, 11 * d + n));

    [Theory, MemberData(nameof(Shapes))]
    public void FloatMatchesScalarReference(int d, int l, int n, int width) =>
        WithWidth(width, () => CheckAgainstReference<float>(d, l, n, 13 * d + n));

    private static void CheckAgainstReference<T>(int d, int l, int n, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * d, seed);
        T[] c = Gaussians<T>(n * l, seed + 1, 2.0);
        var acc = new WeightedGramAccumulator<T>(d, l);
        acc.Accumulate(x, c);
        Assert.Equal(n, acc.Count);

        double[] xd = ToDouble<T>(x), cd = ToDouble<T>(c);
        double gamma = SumBound<T>(n, 512);
        for (int q = 0; q < l; q++)
        {
            double sum = 0, sumAbs = 0;
            var first = new double[d]; var firstAbs = new double[d];
            var gram = new double[d * d]; var gramAbs = new double[d * d];
            for (int j = 0; j < n; j++)
            {
                double w = cd[q * n + j];
                sum += w; sumAbs += Math.Abs(w);
                for (int i = 0; i < d; i++)
                {
                    double t = w * xd[j * d + i];
                    first[i] += t; firstAbs[i] += Math.Abs(t);
                    for (int k = 0; k < d; k++) { gram[i * d + k] += t * xd[j * d + k]; gramAbs[i * d + k] += Math.Abs(t * xd[j * d + k]); }
                }
            }
            AssertWithin([sum], [acc.WeightSum(q)], [gamma * sumAbs + 1e-300], "weight sum");
            var gotFirst = new double[d]; acc.CopyFirstMoment(q, gotFirst);
            AssertWithin(first, gotFirst, firstAbs.Select(a => gamma * a).ToArray(), "first moment");
            var gotGram = new double[d * d]; acc.CopyGram(q, gotGram);
            AssertWithin(gram, gotGram, gramAbs.Select(a => gamma * a).ToArray(), "Gram");
        }
    }

    [Fact]
    public void MergeOfSplitStreamsEqualsOneStream()
    {
        const int d = 21, l = 2, n = 2000;
        double[] x = Gaussians<double>(n * d, 5);
        double[] c = Gaussians<double>(n * l, 6);
        var whole = new WeightedGramAccumulator<double>(d, l);
        whole.Accumulate(x, c);

        var a = new WeightedGramAccumulator<double>(d, l);
        var b = new WeightedGramAccumulator<double>(d, l);
        int[] cuts = [0, 333, 1024, 1500, n];
        for (int s = 0; s + 1 < cuts.Length; s++)
        {
            int lo = cuts[s], m = cuts[s + 1] - lo;
            var w = new double[m * l];
            for (int q = 0; q < l; q++) c.AsSpan(q * n + lo, m).CopyTo(w.AsSpan(q * m));
            (s % 2 == 0 ? a : b).Accumulate(x.AsSpan(lo * d, m * d), w);
        }
        a.Merge(b);
        Assert.Equal(whole.Count, a.Count);
        double[] expected = State(whole), got = State(a), absolute = new double[expected.Length];
        var abs = new WeightedGramAccumulator<double>(d, l);
        abs.Accumulate(x.Select(Math.Abs).ToArray(), c.Select(Math.Abs).ToArray());
        abs.CopyState(absolute);
        double gamma = SumBound<double>(n, 512);
        AssertWithin(expected, got, absolute.Select(v => gamma * v).ToArray(), "merged state");
    }

    [Fact]
    public void StateAndStreamRoundTripsAreExact()
    {
        const int d = 9, l = 3, n = 500;
        var acc = new WeightedGramAccumulator<float>(d, l);
        acc.Accumulate(Gaussians<float>(n * d, 7), Gaussians<float>(n * l, 8));

        using var stream = new MemoryStream();
        acc.WriteTo(stream);
        stream.Position = 0;
        var back = WeightedGramAccumulator<float>.ReadFrom(stream);
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal((acc.Dimension, acc.WeightCount, acc.Count), (back.Dimension, back.WeightCount, back.Count));
        AssertBitwiseEqual(State(acc), State(back), "state after WriteTo/ReadFrom");

        var viaState = new WeightedGramAccumulator<float>(d, l);
        viaState.AddState(State(acc));
        AssertBitwiseEqual(State(acc), State(viaState), "state after CopyState/AddState");
        var gram = new double[d * d]; var gramBack = new double[d * d];
        acc.CopyGram(2, gram); viaState.CopyGram(2, gramBack);
        AssertBitwiseEqual(gram, gramBack, "Gram after AddState");

        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => WeightedGramAccumulator<double>.ReadFrom(stream));
        Assert.Equal(1 + l * (1 + d + d * (d + 1) / 2), acc.StateLength);
    }

    [Fact]
    public void ResetClearsEverything()
    {
        var acc = new WeightedGramAccumulator<double>(4);
        acc.Accumulate(Gaussians<double>(40, 1), Gaussians<double>(10, 2));
        acc.Reset();
        Assert.Equal(0, acc.Count);
        Assert.All(State(acc), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void RejectsMismatchedLengths()
    {
        var acc = new WeightedGramAccumulator<double>(4, 2);
        acc.Accumulate(new double[12], new double[6]); // n = 3 is fine
        Assert.Throws<ArgumentException>(() => acc.Accumulate(new double[12], new double[8]));
        Assert.Throws<ArgumentException>(() => acc.Accumulate(new double[12], new double[5]));
        Assert.Throws<ArgumentException>(() => acc.Merge(new WeightedGramAccumulator<double>(4, 1)));
        Assert.Throws<ArgumentException>(() => acc.AddState(new double[3]));
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(33, 2)]
    [InlineData(16, 1)]
    public void TheNextBlockItIsToldOfChangesNoBit(int d, int l)
    {
        // the last tile's kernels prefetch the next block's first tile (never read): the same sums as without it
        const int n = 1100, first = 700;
        double[] x = Gaussians<double>(n * d, 5), c = Gaussians<double>(n * l, 6);
        double[] c1 = new double[first * l], c2 = new double[(n - first) * l];
        for (int q = 0; q < l; q++)
        {
            c.AsSpan(q * n, first).CopyTo(c1.AsSpan(q * first));
            c.AsSpan(q * n + first, n - first).CopyTo(c2.AsSpan(q * (n - first)));
        }
        var told = new WeightedGramAccumulator<double>(d, l);
        told.Accumulate(x.AsSpan(0, first * d), c1, x.AsSpan(first * d));
        told.Accumulate(x.AsSpan(first * d), c2, x.AsSpan(0, 3 * d)); // any memory: it is only prefetched
        var plain = new WeightedGramAccumulator<double>(d, l);
        plain.Accumulate(x.AsSpan(0, first * d), c1);
        plain.Accumulate(x.AsSpan(first * d), c2);
        AssertBitwiseEqual(State(plain), State(told), "with and without the next block");
    }

    [Theory]
    [InlineData(64, 3)]
    [InlineData(17, 1)]
    public void AccumulateDoesNotAllocate(int d, int l)
    {
        const int n = 1500;
        double[] x = Gaussians<double>(n * d, 3), c = Gaussians<double>(n * l, 4);
        float[] xf = Gaussians<float>(n * d, 3), cf = Gaussians<float>(n * l, 4);
        var acc = new WeightedGramAccumulator<double>(d, l);
        var accf = new WeightedGramAccumulator<float>(d, l);
        for (int i = 0; i < 3; i++) { acc.Accumulate(x, c); accf.Accumulate(xf, cf); }
        Assert.Equal(0, SteadyStateAllocatedBytes(() => { acc.Accumulate(x, c); accf.Accumulate(xf, cf); }, 20));
    }

    internal static double[] State<T>(WeightedGramAccumulator<T> acc) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var s = new double[acc.StateLength];
        acc.CopyState(s);
        return s;
    }
}
