using ReluFast.Decomposition;
using ReluFast.Sampling;

namespace ReluFast.Tests.Decomposition;

public class PencilDecompositionTests
{
    /// <summary>Builds B = W diag(beta) W^T and C = sum mu_i w_i^(x)3 from random unit columns w_i.</summary>
    private static (double[] W, double[] B, double[] C) Problem(int m, ulong seed, double noise)
    {
        // As in the learner: unit w_i in R^(2m), expressed in an orthonormal basis of their span (W = Q R, W~ = R).
        var g = new CounterGaussian(seed);
        int d = 2 * m;
        var full = new double[d * m];
        g.Fill(0, full);
        for (int i = 0; i < m; i++)
        {
            double norm = 0;
            for (int r = 0; r < d; r++) norm += full[r * m + i] * full[r * m + i];
            for (int r = 0; r < d; r++) full[r * m + i] /= Math.Sqrt(norm);
        }
        var w = GramSchmidtCoefficients(full, d, m);
        var beta = new double[m];
        var mu = new double[m];
        for (int i = 0; i < m; i++)
        {
            beta[i] = (g.Uniform(10_000 + i) < 0.5 ? -1 : 1) * (0.1 + 0.3 * g.Uniform(20_000 + i));
            mu[i] = (g.Uniform(30_000 + i) < 0.5 ? -1 : 1) * (0.1 + 0.3 * g.Uniform(40_000 + i));
        }
        var b = new double[m * m];
        var c = new double[m * m * m];
        for (int r = 0; r < m; r++)
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    b[i * m + j] += beta[r] * w[i * m + r] * w[j * m + r];
                    for (int k = 0; k < m; k++)
                        c[(i * m + j) * m + k] += mu[r] * w[i * m + r] * w[j * m + r] * w[k * m + r];
                }
            }
        if (noise > 0)
        {
            var e = new double[m * m + m * m * m];
            new CounterGaussian(seed, 99).Fill(0, e);
            for (int i = 0; i < b.Length; i++) b[i] += noise * e[i];
            for (int i = 0; i < c.Length; i++) c[i] += noise * e[b.Length + i];
        }
        return (w, b, c);
    }

    /// <summary>R of the thin QR factorisation of a d x m matrix (its columns in an orthonormal basis of their span).</summary>
    private static double[] GramSchmidtCoefficients(double[] a, int d, int m)
    {
        var q = (double[])a.Clone();
        var r = new double[m * m];
        for (int j = 0; j < m; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += q[i * m + k] * a[i * m + j];
                r[k * m + j] = dot;
                for (int i = 0; i < d; i++) q[i * m + j] -= dot * q[i * m + k];
            }
            double norm = 0;
            for (int i = 0; i < d; i++) norm += q[i * m + j] * q[i * m + j];
            norm = Math.Sqrt(norm);
            r[j * m + j] = norm;
            for (int i = 0; i < d; i++) q[i * m + j] /= norm;
        }
        return r;
    }

    /// <summary>Largest distance between a true column and the best-matching recovered column up to sign.</summary>
    private static double ColumnError(double[] truth, double[] found, int m)
    {
        double worst = 0;
        for (int i = 0; i < m; i++)
        {
            double best = double.PositiveInfinity;
            for (int j = 0; j < m; j++)
            {
                double plus = 0, minus = 0;
                for (int r = 0; r < m; r++)
                {
                    plus += Math.Pow(truth[r * m + i] - found[r * m + j], 2);
                    minus += Math.Pow(truth[r * m + i] + found[r * m + j], 2);
                }
                best = Math.Min(best, Math.Sqrt(Math.Min(plus, minus)));
            }
            worst = Math.Max(worst, best);
        }
        return worst;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    public void ExactPencilIsRecoveredToRoundOff(int m)
    {
        var (w, b, c) = Problem(m, 7, 0);
        var result = PencilDecomposition.Decompose(b, c, m);
        Assert.True(ColumnError(w, result.Factors, m) < 1e-9, $"error {ColumnError(w, result.Factors, m)}");
        Assert.True(result.PolishedResidual < 1e-10);
    }

    [Theory]
    [InlineData(0.002, 0.1)]
    [InlineData(0.0002, 0.01)]
    public void NoisyPencilErrorScalesWithTheNoiseAndThePolishBeatsThePencil(double noise, double bound)
    {
        // At entry noise 0.002 the slices' relative residual is about 0.05 (25 x noise). The recovered columns'
        // error must follow the noise linearly (a tenth of the noise, a tenth of the bound), and the polish
        // must improve on the pencil alone.
        const int m = 10;
        for (ulong seed = 1; seed <= 5; seed++)
        {
            var (w, b, c) = Problem(m, seed, noise);
            var polished = PencilDecomposition.Decompose(b, c, m, seed: seed);
            var pencilOnly = PencilDecomposition.Decompose(b, c, m, seed: seed, polishIterations: 0);
            double error = ColumnError(w, polished.Factors, m);
            Assert.True(error < bound, $"seed {seed}: column error {error} (pencil alone {ColumnError(w, pencilOnly.Factors, m)})");
            Assert.True(error <= ColumnError(w, pencilOnly.Factors, m));
            Assert.True(polished.PolishedResidual <= polished.PencilResidual);
        }
    }
}
