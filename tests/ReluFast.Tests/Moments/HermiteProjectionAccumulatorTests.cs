using System.Numerics;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class HermiteProjectionAccumulatorTests
{
    [Theory]
    [InlineData(1, 1, 1, 5, 0)]
    [InlineData(6, 3, 300, 5, 0)]
    [InlineData(16, 8, 600, 4, 0)]
    [InlineData(64, 32, 300, 5, 0)]
    [InlineData(20, 13, 257, 2, 0)]
    [InlineData(10, 9, 100, 5, 256)]
    [InlineData(10, 9, 100, 3, 64)]
    public void MatchesScalarReference(int d, int m, int n, int maxOrder, int width) => WithWidth(width, () =>
    {
        Check<double>(d, m, n, maxOrder, d * m + n);
        Check<float>(d, m, n, maxOrder, d * m + n + 1);
    });

    private static void Check<T>(int d, int m, int n, int maxOrder, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * d, seed), r = Gaussians<T>(n, seed + 1);
        double[] w = Orthonormal(d, Math.Min(d, m), seed + 2);
        if (m > d) w = Gaussians<double>(d * m, seed + 3, 1 / Math.Sqrt(d));
        var acc = new HermiteProjectionAccumulator<T>(d, w, m, maxOrder);
        acc.Accumulate(x, r);
        Assert.Equal(n, acc.Count);

        double[] xd = ToDouble<T>(x), rd = ToDouble<T>(r);
        // The projection s = W^T x is rounded in T (error ds <= gamma_(d+1) sum |x_i w_i|, W rounded to T too);
        // He_k then moves by at most |He_k'| ds = k |He_(k-1)| ds, bounded with A_k, the Hermite recurrence with
        // all signs positive (A_k(|s|) >= |He_k(s)|).
        double uT = UnitRoundoff<T>();
        var expected = new double[(maxOrder + 1) * m]; var bound = new double[expected.Length];
        var he = new double[6]; var a = new double[6];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                double s = 0, sAbs = 0;
                for (int k = 0; k < d; k++) { s += xd[j * d + k] * w[k * m + i]; sAbs += Math.Abs(xd[j * d + k] * w[k * m + i]); }
                double ds = (d + 3) * uT * sAbs;
                he[0] = 1; he[1] = s; a[0] = 1; a[1] = Math.Abs(s) + ds;
                for (int k = 1; k < 5; k++) { he[k + 1] = s * he[k] - k * he[k - 1]; a[k + 1] = a[1] * a[k] + k * a[k - 1]; }
                for (int k = 0; k <= maxOrder; k++)
                {
                    expected[k * m + i] += rd[j] * he[k];
                    double perturbation = k == 0 ? 0 : k * a[k - 1] * ds;
                    bound[k * m + i] += Math.Abs(rd[j]) * (perturbation + 16 * Math.Pow(2, -53) * (k + 1) * a[k]) +
                        (n + 2) * Math.Pow(2, -53) * Math.Abs(rd[j]) * a[k];
                }
            }
        var got = new double[expected.Length];
        acc.CopySums(got);
        AssertWithin(expected, got, bound, $"Hermite sums ({typeof(T).Name})");
        Assert.Equal(got[m * maxOrder + m - 1], acc.Sum(maxOrder, m - 1));
    }

    [Fact]
    public void MergeStateStreamAndAllocation()
    {
        const int d = 12, m = 9, n = 1000;
        double[] x = Gaussians<double>(n * d, 1), r = Gaussians<double>(n, 2), w = Orthonormal(d, m, 3);
        var whole = new HermiteProjectionAccumulator<double>(d, w, m);
        whole.Accumulate(x, r);
        var a = new HermiteProjectionAccumulator<double>(d, w, m);
        var b = new HermiteProjectionAccumulator<double>(d, w, m);
        a.Accumulate(x.AsSpan(0, 400 * d), r.AsSpan(0, 400));
        b.Accumulate(x.AsSpan(400 * d), r.AsSpan(400));
        a.Merge(b);
        var sw = new double[6 * m]; var sa = new double[6 * m];
        whole.CopySums(sw); a.CopySums(sa);
        for (int i = 0; i < sw.Length; i++) Assert.True(Math.Abs(sw[i] - sa[i]) <= 1e-11 * (1 + Math.Abs(sw[i])), $"entry {i}");
        Assert.Equal(n, a.Count);

        using var stream = new MemoryStream();
        a.WriteTo(stream);
        stream.Position = 0;
        var back = HermiteProjectionAccumulator<double>.ReadFrom(stream);
        var sb = new double[6 * m]; back.CopySums(sb);
        AssertBitwiseEqual(sa, sb, "sums after WriteTo/ReadFrom");
        Assert.Equal(w, back.Directions.ToArray());
        var state = new double[a.StateLength]; a.CopyState(state);
        var viaState = new HermiteProjectionAccumulator<double>(d, w, m);
        viaState.AddState(state);
        Assert.Equal(a.Count, viaState.Count);
        Assert.Throws<ArgumentException>(() => a.Merge(new HermiteProjectionAccumulator<double>(d, Orthonormal(d, m, 4), m)));

        var f = new HermiteProjectionAccumulator<float>(d, w, m);
        float[] xf = Gaussians<float>(n * d, 1), rf = Gaussians<float>(n, 2);
        for (int i = 0; i < 3; i++) { f.Accumulate(xf, rf); whole.Accumulate(x, r); }
        Assert.Equal(0, SteadyStateAllocatedBytes(() => { f.Accumulate(xf, rf); whole.Accumulate(x, r); }, 10));
    }
}
