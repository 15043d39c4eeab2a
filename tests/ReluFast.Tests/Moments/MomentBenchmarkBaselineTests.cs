using ReluFast.Cli.Bench;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;
using static TorchSharp.torch;

namespace ReluFast.Tests.Moments;

/// <summary>The chunked in-place libtorch baselines of <c>relufast bench</c> compute the same sums as the SIMD engine (so the speedups compare equal
/// work).</summary>
[Collection(MomentCollection.Name)]
public class MomentBenchmarkBaselineTests
{
    [Theory]
    [InlineData(115.7, 2, 8, 3.67, 1)] // AMD Zen 4: AVX-512 on two 256-bit pipes, one full-width FMA per cycle
    [InlineData(98.0, 1, 8, 3.1, 2)]   // two 512-bit FMA units (Xeon Gold), measured a little under 2 x 8 x 2 x clock
    [InlineData(30.0, 2, 4, 4.0, 1)]   // AVX2 client core with the throughput of one 256-bit FMA per cycle
    [InlineData(250.0, 2, 8, 3.0, 2)]  // never more than two
    public void FmaPipesAreReadOffTheMeasuredThroughput(double measured, int cores, int lanes, double clock, int expected) =>
        Assert.Equal(expected, MomentBenchmark.FmaPipes(measured, cores, lanes, clock));

    [Theory]
    [InlineData(16, 0, 1, 8, 220.0, 35e9, 70.0, true)]     // the Gram of d = 16 in float64: 136 bytes bring 272 flops
    [InlineData(64, 0, 1, 8, 220.0, 35e9, 220.0, false)]   // d = 64: 520 bytes bring 4160 flops, 280 GFLOP/s at 35 GB/s
    [InlineData(16, 0, 1, 4, 440.0, 35e9, 140.0, true)]    // float32 halves the bytes and doubles the peak
    [InlineData(0, 8, 4, 8, 220.0, 35e9, 220.0, false)]    // the 3-tensor of m = 8 with four weights: 960 flops in 72 bytes
    public void TheLimitIsThePeakOrWhatTheReadBandwidthBrings(int d, int m, int weights, int bytes, double peak, double bandwidth,
        double expected, bool memoryBound)
    {
        string name = d > 0 ? "weighted-gram" : "projected-3tensor";
        var (limit, memory) = MomentBenchmark.Limit(peak, MomentBenchmark.UsefulFlops(name, 1, d, m, weights), (Math.Max(d, m) + 1) * bytes,
            bandwidth);
        Assert.Equal(expected, limit, 1e-9 * expected);
        Assert.Equal(memoryBound, memory);
    }

    [Fact]
    public void InPlaceBaselinesMatchTheSimdEngine()
    {
        using var scope = NewDisposeScope();
        const int n = 20_000, d = 12, m = 5;
        double[] x = Gaussians<double>(n * d, 1), c = Gaussians<double>(n, 2), w = Orthonormal(d, m, 3), z = Gaussians<double>(n * m, 4);
        var xt = tensor(x, [n, d], dtype: ScalarType.Float64);
        var ct = tensor(c, [n], dtype: ScalarType.Float64);
        var zt = tensor(z, [n, m], dtype: ScalarType.Float64);

        var gram = new WeightedGramAccumulator<double>(d);
        gram.Accumulate(x, c);
        var g = new double[d * d]; gram.CopyGram(0, g);
        double[]? torchGram = null;
        MomentBenchmark.GramInPlace(xt, ct, (gt, _) => torchGram = gt.data<double>().ToArray())();
        AssertClose(g, torchGram!);

        var tensor3 = new ProjectedTensorAccumulator<double>(m);
        tensor3.Accumulate(z, c);
        var t3 = new double[m * m * m]; tensor3.CopyThirdMoment(0, t3);
        double[]? torchThird = null;
        MomentBenchmark.TensorInPlace(zt, ct, (tt, _) => torchThird = tt.data<double>().ToArray())();
        AssertClose(t3, torchThird!);
        // several weights (the bench's rows use the learner's 1 + restarts): each weight's row of sums
        const int l = 3;
        double[] cl = Gaussians<double>(l * n, 5);
        var tensorL = new ProjectedTensorAccumulator<double>(m, l);
        tensorL.Accumulate(z, cl);
        double[]? torchThirds = null, torchSeconds = null;
        MomentBenchmark.TensorInPlace(zt, tensor(cl, [l, n], dtype: ScalarType.Float64),
            (tt, st) => (torchThirds, torchSeconds) = (tt.data<double>().ToArray(), st.data<double>().ToArray()))();
        for (int q = 0; q < l; q++)
        {
            tensorL.CopyThirdMoment(q, t3);
            AssertClose(t3, torchThirds!.AsSpan(q * m * m * m, m * m * m).ToArray());
            var s2 = new double[m * m]; tensorL.CopySecondMoment(q, s2);
            AssertClose(s2, torchSeconds!.AsSpan(q * m * m, m * m).ToArray());
        }

        var hermite = new HermiteProjectionAccumulator<double>(d, w, m);
        hermite.Accumulate(x, c);
        var h = new double[6 * m]; hermite.CopySums(h);
        double[]? torchHermite = null;
        MomentBenchmark.HermiteInPlace(xt, tensor(w, [d, m], dtype: ScalarType.Float64), ct, st => torchHermite = st.data<double>().ToArray())();
        AssertClose(h, torchHermite!);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-9 * scale, $"entry {i}: {expected[i]} vs {actual[i]}");
    }
}
