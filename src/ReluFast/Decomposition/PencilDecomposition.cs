using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>What <see cref="PencilDecomposition"/> found.</summary>
/// <param name="Factors">m x m row-major; column i is the unit vector w~_i.</param>
/// <param name="RelativeGap">The largest relative minimum eigenvalue gap over the random slices tried (1 is ideal, near 0 is ill-conditioned).</param>
/// <param name="PencilResidual">Relative Frobenius residual of the slices after the pencil step alone.</param>
/// <param name="PolishedResidual">Relative Frobenius residual of the slices after the alternating-least-squares polish.</param>
/// <param name="PolishIterations">Iterations of the polish.</param>
internal sealed record PencilResult(double[] Factors, double RelativeGap, double PencilResidual, double PolishedResidual, int PolishIterations);

/// <summary>
/// Recovers W~ from B = W~ diag(beta) W~^T and a symmetric 3-tensor C = sum_i mu_i w~_i^(x)3
/// (docs/algorithm.md section 7): the eigenvectors of C(., ., u) B^{-1} for the best of
/// several random u (largest relative minimum eigenvalue gap), then an alternating-least-squares
/// polish over all slices {B, C(., ., e_1), ..., C(., ., e_m)} = W~ diag(.) W~^T.
/// </summary>
internal static class PencilDecomposition
{
    /// <summary>Decomposes the pencil; <paramref name="tensor"/> is m^3 values with index (i*m + j)*m + k.</summary>
    /// <param name="quadratic">B, m x m row-major, symmetric and invertible.</param>
    /// <param name="tensor">C, m x m x m, symmetric.</param>
    /// <param name="m">The rank m.</param>
    /// <param name="trials">How many random contraction vectors u to try.</param>
    /// <param name="seed">Seed of the random u.</param>
    /// <param name="polishIterations">Maximum alternating-least-squares iterations (0 disables the polish).</param>
    /// <exception cref="ArgumentException">Shapes are inconsistent or values are not finite.</exception>
    public static PencilResult Decompose(ReadOnlySpan<double> quadratic, ReadOnlySpan<double> tensor, int m, int trials = 16, ulong seed = 1, int polishIterations = 200)
    {
        if (m <= 0) throw new ArgumentException($"The rank must be positive, got {m}.", nameof(m));
        if (quadratic.Length != m * m) throw new ArgumentException($"B must be {m} x {m}.", nameof(quadratic));
        if (tensor.Length != m * m * m) throw new ArgumentException($"C must be {m} x {m} x {m}.", nameof(tensor));
        foreach (double v in quadratic) if (!double.IsFinite(v)) throw new ArgumentException("B holds NaN or infinity.", nameof(quadratic));
        foreach (double v in tensor) if (!double.IsFinite(v)) throw new ArgumentException("C holds NaN or infinity.", nameof(tensor));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);

        using var scope = NewDisposeScope();
        var b = TorchTensors.Matrix(quadratic, m, m);
        b = (b + b.T) * 0.5;
        var c = TorchTensors.Vector(tensor).reshape(m, m, m);
        var bInverse = linalg.pinv(b, hermitian: true);

        var normals = new CounterGaussian(seed, key: 0x9E4C11);
        var u = new double[m];
        Tensor? best = null;
        double bestGap = double.NegativeInfinity;
        for (int t = 0; t < trials; t++)
        {
            normals.Fill((long)t * m, u);
            var slice = einsum("ijk,k->ij", c, TorchTensors.Vector(u));
            var (values, vectors) = linalg.eig(slice.matmul(bInverse));
            double gap = RelativeMinimumGap(values);
            if (gap > bestGap)
            {
                bestGap = gap;
                best = vectors.real.contiguous();
            }
        }
        var factors = NormalizeColumns(best!);

        // Slices X[:, :, s]: s = 0 is B, s = k + 1 is C(., ., e_k).
        var stack = cat([b.unsqueeze(2), c], 2);
        double stackNorm = Math.Max(stack.norm().item<double>(), 1e-300);
        var polished = factors;
        var diagonals = SolveDiagonals(stack, polished);
        double residual = Residual(stack, polished, diagonals, stackNorm);
        double pencilResidual = residual;
        int iterations = 0;
        for (; iterations < polishIterations; iterations++)
        {
            // A <- X_(1) (D kr A) [(D^T D) o (A^T A)]^{-1}, then unit columns (the scale goes into the next D).
            var r = einsum("ijs,sr,jr->ir", stack, diagonals, polished);
            var g = diagonals.T.matmul(diagonals) * polished.T.matmul(polished);
            var next = NormalizeColumns(linalg.lstsq(g, r.T).Solution.T);
            var nextDiagonals = SolveDiagonals(stack, next);
            double nextResidual = Residual(stack, next, nextDiagonals, stackNorm);
            if (!(nextResidual <= residual * (1 + 1e-12))) break; // keep the best point; stop on divergence
            double change = (next - polished).abs().max().item<double>();
            double previous = residual;
            polished = next;
            diagonals = nextDiagonals;
            residual = nextResidual;
            if (change < 1e-13 || previous - residual < 1e-5 * previous) { iterations++; break; }
        }
        return new PencilResult(TorchTensors.ToArray(polished), bestGap, pencilResidual, residual, iterations);
    }

    private static double RelativeMinimumGap(Tensor complexValues)
    {
        // The true eigenvalues are real; a complex-conjugate pair shares its real part and so counts as a
        // zero gap (its two eigenvectors' real parts coincide and would give a duplicate factor).
        var re = TorchTensors.ToArray(complexValues.real);
        int n = re.Length;
        double scale = 0, gap = double.PositiveInfinity;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Abs(re[i]));
        if (n == 1) return scale > 0 ? 1 : 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                gap = Math.Min(gap, Math.Abs(re[i] - re[j]));
        return scale > 0 ? gap / scale : 0;
    }

    private static Tensor NormalizeColumns(Tensor a)
    {
        var norms = linalg.vector_norm(a, dims: [0], keepdim: true).clamp_min(1e-300);
        return a / norms;
    }

    /// <summary>Least-squares diagonals D (S x m) with X[:, :, s] ~ A diag(D[s]) A^T.</summary>
    private static Tensor SolveDiagonals(Tensor stack, Tensor a)
    {
        int m = (int)a.shape[0];
        int s = (int)stack.shape[2];
        var kr = einsum("ir,jr->ijr", a, a).reshape(m * m, a.shape[1]);
        var rhs = stack.reshape(m * m, s);
        return linalg.lstsq(kr, rhs).Solution.T;
    }

    private static double Residual(Tensor stack, Tensor a, Tensor d, double stackNorm)
    {
        var model = einsum("ir,jr,sr->ijs", a, a, d);
        return (stack - model).norm().item<double>() / stackNorm;
    }
}
