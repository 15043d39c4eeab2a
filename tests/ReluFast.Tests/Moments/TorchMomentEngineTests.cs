using System.Numerics;
using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>The libtorch engine gives the same sums as the SIMD engine (within the sum of both engines' rounding bounds).</summary>
[Collection(MomentCollection.Name)]
public class TorchMomentEngineTests
{
    private readonly TorchMomentEngine _torch = new("cpu");

    [Theory]
    [InlineData(1, 1, 50)]
    [InlineData(17, 2, 700)]
    [InlineData(64, 3, 300)]
    public void WeightedGramMatchesSimd(int d, int l, int n)
    {
        Gram<double>(d, l, n);
        Gram<float>(d, l, n);
    }

    private void Gram<T>(int d, int l, int n) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = Gaussians<T>(n * d, d + n), c = Gaussians<T>(n * l, d + n + 1);
        var simd = new WeightedGramAccumulator<T>(d, l);
        var viaTorch = new WeightedGramAccumulator<T>(d, l);
        simd.Accumulate(x, c);
        _torch.AccumulateWeightedGram(viaTorch, x, c);
        var abs = new WeightedGramAccumulator<double>(d, l);
        abs.Accumulate(ToDouble<T>(x).Select(Math.Abs).ToArray(), ToDouble<T>(c).Select(Math.Abs).ToArray());
        Compare(State(simd.StateLength, simd.CopyState), State(viaTorch.StateLength, viaTorch.CopyState), State(abs.StateLength, abs.CopyState),
            SumBound<T>(n, n, 4));
    }

    [Theory]
    [InlineData(1, 1, 40)]
    [InlineData(8, 2, 300)]
    [InlineData(19, 1, 200)]
    public void ProjectedTensorMatchesSimd(int m, int l, int n)
    {
        Tensor3<double>(m, l, n, lowerDegrees: true);
        Tensor3<float>(m, l, n, lowerDegrees: true);
        Tensor3<double>(m, l, n, lowerDegrees: false);
    }

    private void Tensor3<T>(int m, int l, int n, bool lowerDegrees) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] z = Gaussians<T>(n * m, m + n), c = Gaussians<T>(n * l, m + n + 1);
        var simd = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees);
        var viaTorch = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees);
        simd.Accumulate(z, c);
        _torch.AccumulateProjectedTensor(viaTorch, z, c);
        var abs = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees);
        abs.Accumulate(ToDouble<T>(z).Select(Math.Abs).ToArray(), ToDouble<T>(c).Select(Math.Abs).ToArray());
        Compare(State(simd.StateLength, simd.CopyState), State(viaTorch.StateLength, viaTorch.CopyState), State(abs.StateLength, abs.CopyState),
            SumBound<T>(n, n, 5));
    }

    [Fact]
    public void HermiteProjectionAndProjectionMatchSimd()
    {
        const int d = 20, m = 7, n = 400;
        double[] w = Orthonormal(d, m, 8);
        double[] x = Gaussians<double>(n * d, 9), r = Gaussians<double>(n, 10);
        var simd = new HermiteProjectionAccumulator<double>(d, w, m);
        var viaTorch = new HermiteProjectionAccumulator<double>(d, w, m);
        simd.Accumulate(x, r);
        _torch.AccumulateHermiteProjection(viaTorch, x, r);
        var a = new double[6 * m]; var b = new double[6 * m];
        simd.CopySums(a); viaTorch.CopySums(b);
        // |He_k(s) r| summed: both engines round s = W^T x (d terms) and the recurrence in double
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-11 * (1 + Math.Abs(a[i])) * n, $"entry {i}: {a[i]} vs {b[i]}");
        Assert.Equal(simd.Count, viaTorch.Count);

        float[] xf = Gaussians<float>(n * d, 11), uf = Gaussians<float>(d * m, 12);
        var z1 = new float[n * m]; var z2 = new float[n * m];
        Projection.Project<float>(xf, d, uf, m, z1);
        _torch.Project<float>(xf, d, uf, m, z2);
        for (int i = 0; i < z1.Length; i++) Assert.True(Math.Abs(z1[i] - z2[i]) <= 2 * (d + 1) * 6e-8 * 3 * d, $"z[{i}]");
    }

    private static double[] State(int length, SpanAction copy)
    {
        var s = new double[length];
        copy(s);
        return s;
    }

    private delegate void SpanAction(Span<double> destination);

    private static void Compare(double[] simd, double[] torch, double[] absolute, double gamma)
    {
        double simdGamma = SumBound<double>(1, 1) + 2 * gamma;
        AssertWithin(simd, torch, absolute.Select(v => simdGamma * v + 1e-300).ToArray(), "torch vs SIMD state");
    }
}
