using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// Monte Carlo checks of the engine against the closed forms of docs/algorithm.md section 2 on a known network:
/// T_k = sum_i a_i c_k(b_i) w_i^(x)k. Every estimate must be within 4 standard errors (estimated from the same
/// samples) of the exact value; the seed is fixed.
/// </summary>
[Collection(MomentCollection.Name)]
public class ClosedFormMomentTests
{
    private const int D = 5, M = 3, N = 400_000;
    private static readonly double[] s_a = [1.0, -0.7, 1.3];
    private static readonly double[] s_b = [0.3, -0.5, 1.1];

    private readonly double[] _w;  // d x m, column i = w_i (unit)
    private readonly double[] _x;
    private readonly double[] _y;

    public ClosedFormMomentTests()
    {
        var r = new Random(20240611);
        _w = new double[D * M];
        for (int i = 0; i < M; i++)
        {
            double norm = 0;
            for (int k = 0; k < D; k++) { _w[k * M + i] = Gaussian(r); norm += _w[k * M + i] * _w[k * M + i]; }
            for (int k = 0; k < D; k++) _w[k * M + i] /= Math.Sqrt(norm);
        }
        _x = Gaussians<double>(N * D, 99);
        _y = new double[N];
        for (int j = 0; j < N; j++)
            for (int i = 0; i < M; i++)
            {
                double pre = s_b[i];
                for (int k = 0; k < D; k++) pre += _w[k * M + i] * _x[j * D + k];
                _y[j] += s_a[i] * Math.Max(0, pre);
            }
    }

    [Fact]
    public void HermiteProjectionsMatchClosedForms()
    {
        // E[y He_k(<w_i, x>)] = <T_k, w_i^(x)k> = sum_l a_l c_k(b_l) <w_l, w_i>^k
        var acc = SamplePass.Run<double, HermiteWorker>(new ArraySource<double>(D, _x, _y), () => new HermiteWorker(_w),
            new SamplePassOptions(Threads: 2));
        var sums = new double[6 * M];
        acc.Acc.CopySums(sums);
        var sumSq = new double[6 * M];
        var he = new double[6];
        for (int j = 0; j < N; j++)
            for (int i = 0; i < M; i++)
            {
                double s = 0;
                for (int k = 0; k < D; k++) s += _w[k * M + i] * _x[j * D + k];
                Hermite(s, he);
                for (int k = 0; k < 6; k++) sumSq[k * M + i] += _y[j] * he[k] * _y[j] * he[k];
            }
        for (int k = 0; k < 6; k++)
            for (int i = 0; i < M; i++)
            {
                double exact = 0;
                for (int l = 0; l < M; l++) exact += s_a[l] * C(k, s_b[l]) * Math.Pow(Dot(l, i), k);
                double mean = sums[k * M + i] / N;
                double se = Math.Sqrt((sumSq[k * M + i] / N - mean * mean) / N);
                Assert.True(Math.Abs(mean - exact) <= 4 * se, $"order {k}, neuron {i}: estimate {mean}, exact {exact}, standard error {se}");
            }
    }

    [Fact]
    public void SecondMomentOfCentredResponseMatchesT2()
    {
        // T_2 = E[y~ x x^T] - E[y~] I with y~ = y - (t0 + <t1, x>) and t0, t1 exact (section 3: unbiased for k = 2)
        double t0 = 0; var t1 = new double[D];
        for (int l = 0; l < M; l++)
        {
            t0 += s_a[l] * C(0, s_b[l]);
            for (int k = 0; k < D; k++) t1[k] += s_a[l] * C(1, s_b[l]) * _w[k * M + l];
        }
        var cv = ControlVariate.Linear(t0, t1);
        var worker = SamplePass.Run<double, GramMomentWorker<double>>(new ArraySource<double>(D, _x, _y), () => new GramMomentWorker<double>(cv),
            new SamplePassOptions(Threads: 2, BlockSize: 1000));
        Assert.Equal(N, worker.Moments.Count);
        var gram = new double[D * D];
        worker.Moments.CopyGram(0, gram);
        double e0 = worker.Moments.WeightSum(0) / N;
        var sumSq = new double[D * D];
        var yt = new double[N];
        cv.Apply<double>(_x, _y, yt);
        for (int j = 0; j < N; j++)
            for (int p = 0; p < D; p++)
                for (int q = 0; q < D; q++)
                {
                    double v = yt[j] * (_x[j * D + p] * _x[j * D + q] - (p == q ? 1 : 0));
                    sumSq[p * D + q] += v * v;
                }
        for (int p = 0; p < D; p++)
            for (int q = 0; q < D; q++)
            {
                double exact = 0;
                for (int l = 0; l < M; l++) exact += s_a[l] * C(2, s_b[l]) * _w[p * M + l] * _w[q * M + l];
                double est = gram[p * D + q] / N - (p == q ? e0 : 0);
                double se = Math.Sqrt((sumSq[p * D + q] / N - est * est) / N);
                Assert.True(Math.Abs(est - exact) <= 4 * se, $"T2[{p},{q}]: estimate {est}, exact {exact}, standard error {se}");
            }
    }

    [Fact]
    public void ProjectedThirdMomentMatchesT3()
    {
        // z = U^T x with U an orthonormal basis of span(w): T_3(U, U, U) = E[y z(x)z(x)z] - sym(E[y z] (x) I) = sum a c_3(b) w~^(x)3
        double[] u = Orthonormal(D, M, 5);
        var z = new double[N * M];
        Projection.Project<double>(_x, D, u, M, z);
        var acc = new ProjectedTensorAccumulator<double>(M);
        acc.Accumulate(z, _y);
        var t3 = new double[M * M * M]; var t1 = new double[M];
        acc.CopyThirdMoment(0, t3);
        acc.CopyFirstMoment(0, t1);
        var wt = new double[M * M]; // w~_l = U^T w_l, column l
        for (int i = 0; i < M; i++)
            for (int l = 0; l < M; l++)
                for (int k = 0; k < D; k++) wt[i * M + l] += u[k * M + i] * _w[k * M + l];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++)
                for (int k = 0; k < M; k++)
                {
                    double sumSq = 0, sum = 0;
                    for (int s = 0; s < N; s++)
                    {
                        double zi = z[s * M + i], zj = z[s * M + j], zk = z[s * M + k];
                        double h = zi * zj * zk - (i == j ? zk : 0) - (i == k ? zj : 0) - (j == k ? zi : 0);
                        sum += _y[s] * h; sumSq += _y[s] * h * _y[s] * h;
                    }
                    double est = t3[(i * M + j) * M + k] / N - ((i == j ? t1[k] : 0) + (i == k ? t1[j] : 0) + (j == k ? t1[i] : 0)) / N;
                    Assert.True(Math.Abs(est - sum / N) <= 1e-9, "engine and direct sum disagree");
                    double se = Math.Sqrt((sumSq / N - est * est) / N);
                    double exact = 0;
                    for (int l = 0; l < M; l++) exact += s_a[l] * C(3, s_b[l]) * wt[i * M + l] * wt[j * M + l] * wt[k * M + l];
                    Assert.True(Math.Abs(est - exact) <= 4 * se, $"T3[{i},{j},{k}]: estimate {est}, exact {exact}, standard error {se}");
                }
    }

    private double Dot(int l, int i)
    {
        double s = 0;
        for (int k = 0; k < D; k++) s += _w[k * M + l] * _w[k * M + i];
        return s;
    }

    private static void Hermite(double t, double[] he)
    {
        he[0] = 1; he[1] = t;
        for (int k = 1; k + 1 < he.Length; k++) he[k + 1] = t * he[k] - k * he[k - 1];
    }

    /// <summary>c_k(b) of docs/algorithm.md section 2.</summary>
    internal static double C(int k, double b)
    {
        double phi = Math.Exp(-0.5 * b * b) / Math.Sqrt(2 * Math.PI);
        if (k == 0) return b * NormalCdf(b) + phi;
        if (k == 1) return NormalCdf(b);
        var he = new double[Math.Max(2, k - 1)];
        Hermite(b, he);
        return (k % 2 == 0 ? 1 : -1) * he[k - 2] * phi;
    }

    /// <summary>Phi(x) = erfc(-x / sqrt 2) / 2 with the Chebyshev erfc of Numerical Recipes (relative error below 1.2e-7).</summary>
    internal static double NormalCdf(double x)
    {
        double v = -x / Math.Sqrt(2), z = Math.Abs(v), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        double erfc = v >= 0 ? r : 2 - r;
        return 0.5 * erfc;
    }

    private sealed class HermiteWorker(double[] w) : IMomentWorker<double, HermiteWorker>
    {
        public HermiteProjectionAccumulator<double> Acc { get; } = new(D, w, M);
        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => Acc.Accumulate(x, y);
        public void Merge(HermiteWorker other) => Acc.Merge(other.Acc);
    }
}
