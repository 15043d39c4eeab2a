using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>What <see cref="PencilDecomposition"/> found.</summary>
/// <param name="Factors">m x m row-major; column i is the unit vector w~_i.</param>
/// <param name="RelativeGap">The largest relative minimum eigenvalue gap over the random slices tried (1 is ideal, near 0 is ill-conditioned).</param>
/// <param name="PencilResidual">Relative Frobenius residual of the slices after the pencil step alone.</param>
/// <param name="PolishedResidual">Relative Frobenius residual of the slices after the alternating-least-squares polish.</param>
/// <param name="PolishIterations">Iterations of the polish.</param>
public sealed record PencilResult(double[] Factors, double RelativeGap, double PencilResidual, double PolishedResidual, int PolishIterations);

/// <summary>
/// Recovers W~ from B = W~ diag(beta) W~^T and a symmetric 3-tensor C = sum_i mu_i w~_i^(x)3
/// (ALGORITHM.md section 5, "Decomposition"): the eigenvectors of C(., ., u) B^{-1} for the best of
/// several random u (largest relative minimum eigenvalue gap), then an alternating-least-squares
/// polish over all slices {B, C(., ., e_1), ..., C(., ., e_m)} = W~ diag(.) W~^T.
/// </summary>
public static class PencilDecomposition
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
        var (vectors, bestGap) = SliceStack.BestPencil(trials, t =>
        {
            normals.Fill((long)t * m, u);
            return einsum("ijk,k->ij", c, TorchTensors.Vector(u)).matmul(bInverse);
        }, RelativeMinimumGap);

        // Slices X[:, :, s]: s = 0 is B, s = k + 1 is C(., ., e_k).
        var stack = cat([b.unsqueeze(2), c], 2);
        var polished = SliceStack.Polish(stack, vectors, polishIterations);
        return new PencilResult(TorchTensors.ToArray(polished.Factors), bestGap, polished.StartResidual, polished.Residual, polished.Iterations);
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
}
