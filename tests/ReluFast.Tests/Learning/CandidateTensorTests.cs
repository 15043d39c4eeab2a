using ReluFast.Learning;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Pass 2's sums and <see cref="MomentLearnerMath.CandidateTensor{T}"/> (docs/algorithm.md section 6): the 3-tensor of the weights
/// y~ (1 + &lt;z, g_r&gt;) with y~'s own degree 0 to 2 sums give C_r = T_3 + T_4(., ., ., g_r), against the definition summed sample by
/// sample: C_r = mean of y~_j (H_3(z_j) + H_4(z_j)(., ., ., g_r)).
/// </summary>
public class CandidateTensorTests
{
    [Fact]
    public void TheCandidatesTensorsAreTheMeanHermiteTermsOfTheirSamples()
    {
        const int m = 5, restarts = 2, n = 3000;
        var normals = new CounterGaussian(41, 7);
        double[] z = new double[n * m], y = new double[n], g = new double[m * restarts];
        normals.Fill(0, z);
        normals.Fill(n * m, g);
        // a response with every degree (so that each Hermite order has a nonzero mean), and an offset
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<double> zj = z.AsSpan(j * m, m);
            y[j] = 0.7 + zj[0] - 0.4 * zj[1] * zj[2] + 0.3 * zj[3] * zj[3] * zj[4] + 0.2 * zj[0] * zj[1] * zj[2] * zj[4];
        }
        var identity = new double[m * m];
        for (int i = 0; i < m; i++) identity[i * m + i] = 1;
        // y~ = y: the control variate is zero; x = z through the identity basis
        var none = ControlVariate.Quadratic(0, new double[m], new double[m * m]);
        var worker = new ProjectedMomentWorker<double>(identity, m, m, g, restarts, none, 1024);
        for (int start = 0; start < n; start += 1024)
        {
            int count = Math.Min(1024, n - start);
            worker.Accumulate(z.AsSpan(start * m, count * m), y.AsSpan(start, count));
        }

        for (int r = 0; r < restarts; r++)
        {
            double[] got = MomentLearnerMath.CandidateTensor(worker.Moments, worker.CentredMoments, r, g, restarts, m, n);
            double[] expected = Definition(z, y, g, r, restarts, m);
            double scale = expected.Max(Math.Abs);
            for (int e = 0; e < expected.Length; e++)
                Assert.True(Math.Abs(got[e] - expected[e]) <= 1e-12 * scale,
                    $"C_{r} entry {e}: {got[e]:R} against the samples' {expected[e]:R}");
        }
    }

    // (1/n) sum_j y_j (H_3(z_j) + H_4(z_j)(., ., ., g)), H_4 contracted with g written out: z_i z_j z_k <z, g> minus the six
    // delta and g pair terms plus the three delta g terms (docs/algorithm.md section 4)
    private static double[] Definition(double[] z, double[] y, double[] g, int r, int restarts, int m)
    {
        int n = y.Length;
        var c = new double[m * m * m];
        for (int s = 0; s < n; s++)
        {
            var x = z.AsSpan(s * m, m);
            double zg = 0;
            for (int i = 0; i < m; i++) zg += x[i] * g[i * restarts + r];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                    for (int k = 0; k < m; k++)
                    {
                        double dij = i == j ? 1 : 0, dik = i == k ? 1 : 0, djk = j == k ? 1 : 0;
                        double gi = g[i * restarts + r], gj = g[j * restarts + r], gk = g[k * restarts + r];
                        double h3 = x[i] * x[j] * x[k] - (dij * x[k] + dik * x[j] + djk * x[i]);
                        double h4 = x[i] * x[j] * x[k] * zg - (dij * x[k] + dik * x[j] + djk * x[i]) * zg
                            - (gk * x[i] * x[j] + gj * x[i] * x[k] + gi * x[j] * x[k]) + (dij * gk + dik * gj + djk * gi);
                        c[(i * m + j) * m + k] += y[s] * (h3 + h4) / n;
                    }
        }
        return c;
    }
}
