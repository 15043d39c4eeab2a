using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>
/// The order-4 and order-5 Hermite contractions the overcomplete learner is built on: against the explicit Hermite tensors
/// (exact), on the rank-one case (He_4, He_5), and by Monte Carlo on one neuron (E[y~ &lt;H_k, S&gt;] = &lt;T_k, S&gt;).
/// </summary>
public class HermiteContractionTests
{
    /// <summary>H_k(x) as an explicit d^k tensor: H_{k+1}[i.., j] = x_j H_k[i..] - sum_t delta(j, i_t) H_{k-1}[i.. without i_t].</summary>
    private static double[] HermiteTensor(int k, double[] x)
    {
        int d = x.Length;
        if (k == 0) return [1];
        if (k == 1) return (double[])x.Clone();
        double[] previous = HermiteTensor(k - 1, x), before = HermiteTensor(k - 2, x);
        int size = (int)Math.Pow(d, k);
        var h = new double[size];
        var index = new int[k];
        for (int flat = 0; flat < size; flat++)
        {
            int rest = flat;
            for (int t = k - 1; t >= 0; t--) { index[t] = rest % d; rest /= d; }
            int j = index[k - 1];
            double value = x[j] * previous[flat / d];
            for (int t = 0; t < k - 1; t++)
            {
                if (index[t] != j) continue;
                int reduced = 0;
                for (int s = 0; s < k - 1; s++) if (s != t) reduced = reduced * d + index[s];
                value -= before[reduced];
            }
            h[flat] = value;
        }
        return h;
    }

    private static double[] RandomSymmetric(Random r, int d)
    {
        var a = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) a[i * d + j] = a[j * d + i] = 2 * r.NextDouble() - 1;
        return a;
    }

    private static double[] RandomVector(Random r, int d) => Enumerable.Range(0, d).Select(_ => 2 * r.NextDouble() - 1).ToArray();

    [Fact]
    public void HermiteTensorRecursionGivesHermitePolynomialsOnUnitVectors()
    {
        var r = new Random(3);
        double[] x = RandomVector(r, 3), w = RandomVector(r, 3);
        double norm = Math.Sqrt(w.Sum(v => v * v));
        w = w.Select(v => v / norm).ToArray();
        for (int k = 2; k <= 5; k++)
        {
            double[] h = HermiteTensor(k, x);
            double contraction = 0;
            for (int flat = 0; flat < h.Length; flat++)
            {
                double product = 1;
                for (int rest = flat, t = 0; t < k; t++, rest /= 3) product *= w[rest % 3];
                contraction += h[flat] * product;
            }
            Assert.Equal(GaussianMath.Hermite(k, x.Zip(w, (a, b) => a * b).Sum()), contraction, 1e-12);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ContractionsMatchTheExplicitTensors(int seed)
    {
        const int d = 3;
        var r = new Random(seed);
        double[] x = RandomVector(r, d).Select(v => 2 * v).ToArray(), a = RandomSymmetric(r, d), b = RandomSymmetric(r, d), u = RandomVector(r, d);
        double[] h4 = HermiteTensor(4, x), h5 = HermiteTensor(5, x);
        double c4 = 0, c5 = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++)
                    for (int l = 0; l < d; l++)
                    {
                        double ab = a[i * d + j] * b[k * d + l];
                        int flat = ((i * d + j) * d + k) * d + l;
                        c4 += h4[flat] * ab;
                        for (int q = 0; q < d; q++) c5 += h5[flat * d + q] * ab * u[q];
                    }
        Assert.Equal(c4, HermiteContractions.Fourth(x, a, b), 1e-11);
        Assert.Equal(c5, HermiteContractions.Fifth(x, a, b, u), 1e-11);
    }

    [Fact]
    public void RankOneContractionsAreHe4AndHe5()
    {
        var r = new Random(7);
        double[] x = RandomVector(r, 5), w = RandomVector(r, 5);
        double norm = Math.Sqrt(w.Sum(v => v * v));
        w = w.Select(v => v / norm).ToArray();
        var ww = new double[25];
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) ww[i * 5 + j] = w[i] * w[j];
        double t = x.Zip(w, (p, q) => p * q).Sum();
        Assert.Equal(GaussianMath.Hermite(4, t), HermiteContractions.Fourth(x, ww, ww), 1e-12);
        Assert.Equal(GaussianMath.Hermite(5, t), HermiteContractions.Fifth(x, ww, ww, w), 1e-12);
    }

    /// <summary>
    /// One neuron y = a relu(&lt;w,x&gt; + b), y~ = y minus its exact degree-2 Hermite part: the sample means of y~ &lt;H_4, A (x) B&gt; and
    /// y~ &lt;H_5, A (x) B (x) u&gt; agree with a c_k(b) (w'Aw)(w'Bw) [&lt;w,u&gt;] within 5 standard errors.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(-1.0)]
    public void MonteCarloMomentsOfOneNeuronMatchTheClosedForm(double bias)
    {
        const int d = 4, n = 1_000_000;
        var r = new Random(11);
        double[] w = RandomVector(r, d);
        double norm = Math.Sqrt(w.Sum(v => v * v));
        w = w.Select(v => v / norm).ToArray();
        double a = 1.3;
        double[] sa = RandomSymmetric(r, d), sb = RandomSymmetric(r, d), u = RandomVector(r, d);
        // u near w: <w, u> close to 1, so the order-5 value stands out of its noise (a random u gives |<w, u>| ~ 0.2).
        u = u.Zip(w, (p, q) => 0.3 * p + q).ToArray();
        var t2 = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) t2[i * d + j] = a * GaussianMath.ReluCoefficient(2, bias) * w[i] * w[j];
        var control = ReluFast.Moments.ControlVariate.Quadratic(a * GaussianMath.ReluCoefficient(0, bias),
            w.Select(v => a * GaussianMath.ReluCoefficient(1, bias) * v).ToArray(), t2);
        var gaussian = new CounterGaussian(5, key: 3);
        var x = new double[d];
        double s4 = 0, q4 = 0, s5 = 0, q5 = 0;
        for (int j = 0; j < n; j++)
        {
            gaussian.Fill((long)j * d, x);
            double t = x.Zip(w, (p, q) => p * q).Sum();
            double y = a * Math.Max(0, t + bias) - control.Evaluate(x);
            double v4 = y * HermiteContractions.Fourth(x, sa, sb), v5 = y * HermiteContractions.Fifth(x, sa, sb, u);
            s4 += v4; q4 += v4 * v4; s5 += v5; q5 += v5 * v5;
        }
        double WAw(double[] m) { double s = 0; for (int i = 0; i < d; i++) for (int k = 0; k < d; k++) s += w[i] * m[i * d + k] * w[k]; return s; }
        double expected4 = a * GaussianMath.ReluCoefficient(4, bias) * WAw(sa) * WAw(sb);
        double expected5 = a * GaussianMath.ReluCoefficient(5, bias) * WAw(sa) * WAw(sb) * w.Zip(u, (p, q) => p * q).Sum();
        double mean4 = s4 / n, se4 = Math.Sqrt((q4 / n - mean4 * mean4) / n);
        double mean5 = s5 / n, se5 = Math.Sqrt((q5 / n - mean5 * mean5) / n);
        Assert.True(Math.Abs(mean4 - expected4) < 5 * se4, $"order 4: {mean4} vs {expected4} (standard error {se4})");
        Assert.True(Math.Abs(mean5 - expected5) < 5 * se5, $"order 5: {mean5} vs {expected5} (standard error {se5})");
        // The check has teeth: the band of 5 standard errors is under a third (order 5: 0.6) of the value, or where c_k(b)
        // vanishes (c_4 at b = -1, c_5 at b = 0) of a phi(b) (w'Aw)(w'Bw) [<w,u>], what a missing He_{k-2}(b) factor would give;
        // so a wrong sign, a factor 2 or a wrong Hermite degree fails. Measured: order 4 up to 0.27, order 5 up to 0.47.
        // (The old check allowed 5 standard errors up to the whole value, and nothing where c_4 vanishes.)
        double family4 = a * GaussianMath.NormalPdf(bias) * Math.Abs(WAw(sa) * WAw(sb)),
            family5 = family4 * Math.Abs(w.Zip(u, (p, q) => p * q).Sum());
        string bands = $"5 se: order 4 {5 * se4:G3} vs value {expected4:G3}, scale {family4:G3}; " +
            $"order 5 {5 * se5:G3} vs value {expected5:G3}, scale {family5:G3}";
        Assert.True(5 * se4 < Math.Max(Math.Abs(expected4), family4) / 3, bands);
        Assert.True(5 * se5 < 0.6 * Math.Max(Math.Abs(expected5), family5), bands);
    }
}
