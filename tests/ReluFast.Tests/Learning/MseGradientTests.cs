using ReluFast.Learning;
using ReluFast.Sampling;
using ReluFast.Tests.Moments;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Refinement's squared-error kernel against the definition, sample by sample: sum e_j^2 and sum e_j grad f(x_j) with
/// f(x) = a^T relu(W x + b) + c0 + &lt;c, x&gt;, on every SIMD path, for widths that fill whole vectors and ones that leave tails,
/// m = 0 (the linear part alone) and blocks that end inside a chunk.
/// </summary>
public class MseGradientTests
{
    [Theory]
    [InlineData(1, 1, 300)]
    [InlineData(5, 3, 600)]
    [InlineData(10, 5, 257)]
    [InlineData(8, 8, 513)]
    [InlineData(32, 16, 700)]
    [InlineData(33, 17, 256)]
    [InlineData(7, 0, 300)]
    [InlineData(12, 40, 100)]
    public void LossAndGradientAreTheDefinitions(int d, int m, int n)
    {
        var x = new double[n * d];
        var y = new double[n];
        new CounterGaussian(11).Fill(0, x);
        new CounterGaussian(12).Fill(0, y);
        var p = new double[MseGradient.ParameterCount(m, d)];
        new CounterGaussian(13).Fill(0, p);
        // some pre-activations exactly at the kink (relu'(0) = 0) and some biases far out, so that whole neurons are off or on
        for (int i = 0; i < m; i++) p[m * d + i] = i % 3 == 0 ? 0 : p[m * d + i] * 2;
        if (m > 0) x.AsSpan(0, d).Clear();
        var (expectedSse, expected) = Reference(x, y, p, m, d);
        foreach (int bits in new[] { 0, 256, 64 })
        {
            MomentTestData.WithWidth(bits, () =>
            {
                var g = new double[p.Length];
                g[0] = 1; // the kernel adds into g
                double sse = MseGradient.Accumulate(x, y, p, m, d, g, new double[MseGradient.ScratchLength(m, d)]);
                g[0] -= 1;
                Assert.True(Math.Abs(sse - expectedSse) <= 1e-12 * expectedSse, $"width {bits}: sse {sse:R} vs {expectedSse:R}");
                double scale = expected.Max(Math.Abs);
                for (int k = 0; k < p.Length; k++)
                    Assert.True(Math.Abs(g[k] - expected[k]) <= 1e-12 * scale, $"width {bits}: gradient[{k}] {g[k]:R} vs {expected[k]:R}");
            });
        }
    }

    private static (double Sse, double[] Gradient) Reference(double[] x, double[] y, double[] p, int m, int d)
    {
        var g = new double[p.Length];
        double sse = 0;
        int bOffset = m * d, aOffset = m * d + m, c0Offset = m * d + 2 * m, cOffset = c0Offset + 1;
        for (int j = 0; j < y.Length; j++)
        {
            var pre = new double[m];
            double f = p[c0Offset];
            for (int k = 0; k < d; k++) f += p[cOffset + k] * x[j * d + k];
            for (int i = 0; i < m; i++)
            {
                pre[i] = p[bOffset + i];
                for (int k = 0; k < d; k++) pre[i] += p[i * d + k] * x[j * d + k];
                f += p[aOffset + i] * Math.Max(pre[i], 0);
            }
            double e = f - y[j];
            sse += e * e;
            for (int i = 0; i < m; i++)
            {
                bool active = pre[i] > 0;
                g[aOffset + i] += e * Math.Max(pre[i], 0);
                g[bOffset + i] += active ? e * p[aOffset + i] : 0;
                for (int k = 0; k < d; k++) g[i * d + k] += active ? e * p[aOffset + i] * x[j * d + k] : 0;
            }
            g[c0Offset] += e;
            for (int k = 0; k < d; k++) g[cOffset + k] += e * x[j * d + k];
        }
        return (sse, g);
    }
}
