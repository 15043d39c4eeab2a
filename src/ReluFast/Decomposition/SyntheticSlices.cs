using ReluFast.Model;
using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>A synthetic decomposition problem: the true factors and the (noisy) B and C the learner would hand over.</summary>
/// <param name="Factors">W~, m x m row-major, unit columns.</param>
/// <param name="Quadratic">B = W~ diag(a_i c_2(b_i)) W~^T (+ noise), m x m.</param>
/// <param name="Tensor">C = sum_i a_i (c_3(b_i) + c_4(b_i) &lt;w~_i, g&gt;) w~_i^(x)3 (+ noise), m^3.</param>
internal sealed record SyntheticSlices(double[] Factors, double[] Quadratic, double[] Tensor)
{
    /// <summary>
    /// Random unit w_i in R^(2m) expressed in an orthonormal basis of their span (W = Q R, W~ = R, as U^T W in the learner),
    /// a_i uniform in [-1, 1], b_i uniform in [-1.5, 1.5], g standard normal, and symmetric Gaussian noise of Frobenius norm
    /// <paramref name="noise"/> times that of B and of C (docs/algorithm.md sections 2 and 7).
    /// </summary>
    public static SyntheticSlices Create(int m, ulong seed, double noise)
    {
        using var scope = NewDisposeScope();
        var random = new CounterGaussian(seed, key: 0x5717);
        int d = 2 * m;
        var full = new double[d * m];
        random.Fill(0, full);
        var r = linalg.qr(TorchTensors.Matrix(full, d, m)).R;
        var w = SliceStack.NormalizeColumns(r);
        var g = new double[m];
        random.Fill(d * m, g);
        var projections = TorchTensors.ToArray(w.T.matmul(TorchTensors.Vector(g)));
        var beta = new double[m];
        var mu = new double[m];
        long k = (long)d * m + m;
        for (int i = 0; i < m; i++)
        {
            double a = 2 * random.Uniform(k++) - 1, b = 1.5 * (2 * random.Uniform(k++) - 1);
            beta[i] = a * GaussianMath.ReluCoefficient(2, b);
            mu[i] = a * (GaussianMath.ReluCoefficient(3, b) + GaussianMath.ReluCoefficient(4, b) * projections[i]);
        }
        var quadratic = einsum("ir,jr,r->ij", w, w, TorchTensors.Vector(beta));
        var tensor = einsum("ir,jr,kr,r->ijk", w, w, w, TorchTensors.Vector(mu));
        if (noise > 0)
        {
            var e = new double[m * m + m * m * m];
            new CounterGaussian(seed, key: 0x401CE).Fill(0, e);
            var eb = TorchTensors.Matrix(e.AsSpan(0, m * m), m, m);
            eb = TorchTensors.Sum(eb, eb.T);
            var ec = TorchTensors.Vector(e.AsSpan(m * m)).reshape(m, m, m);
            var symmetric = ec;
            foreach (long[] order in new[] { new long[] { 0, 2, 1 }, [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0] })
                symmetric = TorchTensors.Sum(symmetric, ec.permute(order));
            ec = symmetric;
            quadratic = TorchTensors.Sum(quadratic, TorchTensors.Scaled(eb, noise * quadratic.norm().item<double>() / eb.norm().item<double>()));
            tensor = TorchTensors.Sum(tensor, TorchTensors.Scaled(ec, noise * tensor.norm().item<double>() / ec.norm().item<double>()));
        }
        return new SyntheticSlices(TorchTensors.ToArray(w), TorchTensors.ToArray(quadratic), TorchTensors.ToArray(tensor.reshape(-1)));
    }

    /// <summary>
    /// Largest distance min(|w - v|, |w + v|) between a true unit column w and the nearest unit column v of
    /// <paramref name="found"/>, or between a found column and the nearest true one (so a duplicated column that leaves a
    /// true one unmatched counts). About the angle in radians when small; accurate to round-off.
    /// </summary>
    public double ColumnError(double[] found) => ColumnErrors(found).Max();

    /// <summary>
    /// Per true column i: the larger of the distance from w_i to its nearest found column and from found column i to its
    /// nearest true one.
    /// </summary>
    public double[] ColumnErrors(double[] found)
    {
        int m = (int)Math.Round(Math.Sqrt(Factors.Length));
        var distance = new double[m * m];
        for (int j = 0; j < m; j++)
        {
            double norm = 0;
            for (int r = 0; r < m; r++) norm += found[r * m + j] * found[r * m + j];
            norm = Math.Max(Math.Sqrt(norm), 1e-300);
            for (int i = 0; i < m; i++)
            {
                double plus = 0, minus = 0;
                for (int r = 0; r < m; r++)
                {
                    double v = found[r * m + j] / norm;
                    plus += (Factors[r * m + i] - v) * (Factors[r * m + i] - v);
                    minus += (Factors[r * m + i] + v) * (Factors[r * m + i] + v);
                }
                distance[i * m + j] = Math.Sqrt(Math.Min(plus, minus));
            }
        }
        var errors = new double[m];
        for (int i = 0; i < m; i++)
        {
            double byTruth = double.PositiveInfinity, byFound = double.PositiveInfinity;
            for (int j = 0; j < m; j++)
            {
                byTruth = Math.Min(byTruth, distance[i * m + j]);
                byFound = Math.Min(byFound, distance[j * m + i]);
            }
            errors[i] = Math.Max(byTruth, byFound);
        }
        return errors;
    }
}
