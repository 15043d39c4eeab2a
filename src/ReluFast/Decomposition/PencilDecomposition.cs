using System.Runtime.CompilerServices;
using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>What <see cref="PencilDecomposition"/> found, with the evidence to judge it.</summary>
/// <param name="Factors">m x m row-major; column i is the unit vector w~_i.</param>
/// <param name="RelativeGap">
/// How well the neurons are told apart (1 is ideal, near 0 is ill-conditioned): for the pencil the largest relative minimum
/// eigenvalue gap over the random slices tried; for the joint diagonalisation the smallest sine of the angle between two
/// neurons' diagonal vectors (d_i = (D[0, i], ..., D[m, i]) over all slices).
/// </param>
/// <param name="PencilResidual">Relative Frobenius residual of the slices at the starting factors (before the polish).</param>
/// <param name="PolishedResidual">Relative Frobenius residual of the slices after the alternating-least-squares polish.</param>
/// <param name="PolishIterations">Iterations of the polish.</param>
internal sealed record PencilResult(double[] Factors, double RelativeGap, double PencilResidual, double PolishedResidual, int PolishIterations)
{
    /// <summary>Which method produced the starting factors of this result.</summary>
    public DecompositionMethod Method { get; init; } = DecompositionMethod.Pencil;

    /// <summary>2-norm condition number of the factor matrix (infinity when singular, e.g. two equal columns).</summary>
    public double Conditioning { get; init; } = double.NaN;

    /// <summary>
    /// False when the result is flagged: the polished residual exceeds <see cref="DecompositionOptions.ResidualLimit"/>, the
    /// conditioning exceeds <see cref="DecompositionOptions.ConditionLimit"/>, or the joint diagonalisation found no
    /// positive definite combination of the slices (the slices are then not those of one real factor matrix).
    /// </summary>
    public bool Reliable { get; init; }
}

/// <summary>
/// Recovers W~ from B = W~ diag(beta) W~^T and a symmetric 3-tensor C = sum_i mu_i w~_i^(x)3 (docs/algorithm.md sections 7
/// and 8): all slices {B, C(., ., e_1), ..., C(., ., e_m)} = W~ diag(.) W~^T are diagonalised jointly (whitening by a
/// positive definite combination of them, then Jacobi rotations), and, as the competing candidate, the
/// eigenvectors of C(., ., u) B^{-1} for the best of several random u (largest relative minimum eigenvalue gap) are
/// taken; each start is polished by alternating least squares over all slices (<see cref="SliceStack"/>).
/// </summary>
internal static class PencilDecomposition
{
    /// <summary>
    /// Decomposes with the default method (<see cref="DecompositionMethod.Auto"/>); <paramref name="tensor"/> is m^3 values
    /// with index (i*m + j)*m + k.
    /// </summary>
    /// <param name="quadratic">B, m x m row-major, symmetric and invertible.</param>
    /// <param name="tensor">C, m x m x m, symmetric.</param>
    /// <param name="m">The rank m.</param>
    /// <param name="trials">How many random contraction vectors u the pencil tries.</param>
    /// <param name="seed">Seed of the random u.</param>
    /// <param name="polishIterations">Maximum alternating-least-squares iterations (0 disables the polish).</param>
    /// <exception cref="ArgumentException">Shapes are inconsistent or values are not finite.</exception>
    public static PencilResult Decompose(ReadOnlySpan<double> quadratic, ReadOnlySpan<double> tensor, int m, int trials = 16, ulong seed = 1,
        int polishIterations = 200) =>
        Decompose(quadratic, tensor, m, new DecompositionOptions { PencilTrials = trials, Seed = seed, PolishIterations = polishIterations });

    /// <summary>Decomposes with the given options; <paramref name="tensor"/> is m^3 values with index (i*m + j)*m + k.</summary>
    /// <exception cref="ArgumentException">Shapes are inconsistent, values are not finite or options out of range.</exception>
    public static PencilResult Decompose(ReadOnlySpan<double> quadratic, ReadOnlySpan<double> tensor, int m, DecompositionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (m <= 0) throw new ArgumentException($"The rank must be positive, got {m}.", nameof(m));
        if (quadratic.Length != m * m) throw new ArgumentException($"B must be {m} x {m}.", nameof(quadratic));
        if (tensor.Length != m * m * m) throw new ArgumentException($"C must be {m} x {m} x {m}.", nameof(tensor));
        foreach (double v in quadratic) if (!double.IsFinite(v)) throw new ArgumentException("B holds NaN or infinity.", nameof(quadratic));
        foreach (double v in tensor) if (!double.IsFinite(v)) throw new ArgumentException("C holds NaN or infinity.", nameof(tensor));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PencilTrials);
        ArgumentOutOfRangeException.ThrowIfNegative(options.PolishIterations);

        return DenseBackend.IsManagedStack(m) ? DecomposeManaged(quadratic, tensor, m, options) : DecomposeTorch(quadratic, tensor, m, options);
    }

    /// <summary>The decomposition in managed code (<see cref="DenseBackend"/>; arguments checked by the caller).</summary>
    internal static PencilResult DecomposeManaged(ReadOnlySpan<double> quadratic, ReadOnlySpan<double> tensor, int m, DecompositionOptions options)
    {
        // Slices X_t: t = 0 is B, t = k + 1 is C(., ., e_k); symmetrised.
        int mm = m * m;
        var values = new double[(m + 1) * mm];
        quadratic.CopyTo(values);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++) values[(k + 1) * mm + i * m + j] = tensor[(i * m + j) * m + k];
        var stack = new SliceArray(values, m, m + 1).Symmetrized();

        PencilResult? joint = null;
        if (options.Method != DecompositionMethod.Pencil)
        {
            var (factors, whitened, _) = ManagedJointDiagonalization.Start(stack, options.MaxSweeps);
            var polished = ManagedSliceStack.Polish(stack, factors, m, options.PolishIterations);
            joint = Judge(polished, m, JointGap(polished.Diagonals, m + 1, m), DecompositionMethod.JointDiagonalization, whitened, options);
            if (options.Method == DecompositionMethod.JointDiagonalization) return joint;
        }
        var pencil = Pencil(stack, m, options);
        return joint is not null && joint.PolishedResidual <= pencil.PolishedResidual ? joint : pencil;
    }

    /// <summary>The decomposition through libtorch (<see cref="DenseBackend"/>; arguments checked by the caller).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static PencilResult DecomposeTorch(ReadOnlySpan<double> quadratic, ReadOnlySpan<double> tensor, int m, DecompositionOptions options)
    {
        using var scope = NewDisposeScope();
        var b = TorchTensors.Matrix(quadratic, m, m);
        var c = TorchTensors.Vector(tensor).reshape(m, m, m);
        // Slices X[:, :, s]: s = 0 is B, s = k + 1 is C(., ., e_k); symmetrised.
        var stack = cat([b.unsqueeze(2), c], 2);
        stack = TorchTensors.Symmetrized(stack);

        PencilResult? joint = null;
        if (options.Method != DecompositionMethod.Pencil)
        {
            var start = JointDiagonalization.Start(stack, options.MaxSweeps);
            var polished = SliceStack.Polish(stack, start.Factors, options.PolishIterations);
            joint = Judge(polished, JointGap(polished.Diagonals), DecompositionMethod.JointDiagonalization, start.Whitened, options);
            if (options.Method == DecompositionMethod.JointDiagonalization) return joint;
        }
        var pencil = Pencil(stack, m, options);
        return joint is not null && joint.PolishedResidual <= pencil.PolishedResidual ? joint : pencil;
    }

    private static PencilResult Pencil(SliceArray stack, int m, DecompositionOptions options)
    {
        var bInverse = DenseMatrix.SymmetricPseudoInverse(stack.Slice(0), m);
        var normals = new CounterGaussian(options.Seed, key: 0x9E4C11);
        var u = new double[m + 1];
        var (vectors, bestGap) = ManagedSliceStack.BestPencil(options.PencilTrials, m, t =>
        {
            normals.Fill((long)t * m, u.AsSpan(1));
            return DenseMatrix.Multiply(stack.Combine(u), m, m, bInverse, m); // u[0] = 0 leaves B out
        }, (re, _) => RelativeMinimumGap(re));
        var polished = ManagedSliceStack.Polish(stack, vectors, m, options.PolishIterations);
        return Judge(polished, m, bestGap, DecompositionMethod.Pencil, true, options);
    }

    private static PencilResult Judge(PolishedSlices polished, int m, double gap, DecompositionMethod method, bool started,
        DecompositionOptions options)
    {
        var s = JacobiSvd.Values(polished.Factors, m, m);
        double conditioning = s[^1] > 0 ? s[0] / s[^1] : double.PositiveInfinity;
        bool reliable = started && polished.Residual <= options.ResidualLimit && conditioning <= options.ConditionLimit;
        return new PencilResult(polished.Factors, gap, polished.StartResidual, polished.Residual, polished.Iterations)
        {
            Method = method,
            Conditioning = conditioning,
            Reliable = reliable,
        };
    }

    /// <summary>min over pairs i &lt; j of the sine of the angle between the diagonal vectors D[:, i] and D[:, j] (D s x k).</summary>
    private static double JointGap(double[] diagonals, int s, int k)
    {
        if (k == 1) return 1;
        var unit = (double[])diagonals.Clone();
        DenseMatrix.NormalizeColumns(unit, s, k);
        var ut = DenseMatrix.Transpose(unit, s, k);
        double largest = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double dot = System.Numerics.Tensors.TensorPrimitives.Dot<double>(ut.AsSpan(i * s, s), ut.AsSpan(j * s, s));
                double cosine = Math.Abs(dot) - (i == j ? 1 : 0);
                largest = Math.Max(largest, cosine);
            }
        largest = Math.Min(largest, 1);
        return Math.Sqrt(1 - largest * largest);
    }

    private static PencilResult Pencil(Tensor stack, int m, DecompositionOptions options)
    {
        var b = stack.select(2, 0);
        var c = stack.narrow(2, 1, m);
        var bInverse = linalg.pinv(b, hermitian: true);
        var normals = new CounterGaussian(options.Seed, key: 0x9E4C11);
        var u = new double[m];
        var (vectors, bestGap) = SliceStack.BestPencil(options.PencilTrials, t =>
        {
            normals.Fill((long)t * m, u);
            return einsum("ijk,k->ij", c, TorchTensors.Vector(u)).matmul(bInverse);
        }, RelativeMinimumGap);
        var polished = SliceStack.Polish(stack, vectors, options.PolishIterations);
        return Judge(polished, bestGap, DecompositionMethod.Pencil, true, options);
    }

    private static PencilResult Judge(PolishedStack polished, double gap, DecompositionMethod method, bool started, DecompositionOptions options)
    {
        var s = TorchTensors.ToArray(linalg.svdvals(polished.Factors));
        double conditioning = s[^1] > 0 ? s[0] / s[^1] : double.PositiveInfinity;
        bool reliable = started && polished.Residual <= options.ResidualLimit && conditioning <= options.ConditionLimit;
        return new PencilResult(TorchTensors.ToArray(polished.Factors), gap, polished.StartResidual, polished.Residual, polished.Iterations)
        {
            Method = method,
            Conditioning = conditioning,
            Reliable = reliable,
        };
    }

    /// <summary>min over pairs i &lt; j of the sine of the angle between the diagonal vectors D[:, i] and D[:, j].</summary>
    private static double JointGap(Tensor diagonals)
    {
        int k = (int)diagonals.shape[1];
        if (k == 1) return 1;
        var unit = SliceStack.NormalizeColumns(diagonals);
        var cosines = unit.T.matmul(unit).abs() - eye(k, dtype: float64);
        double largest = Math.Min(cosines.max().item<double>(), 1);
        return Math.Sqrt(1 - largest * largest);
    }

    private static double RelativeMinimumGap(Tensor complexValues) => RelativeMinimumGap(TorchTensors.ToArray(complexValues.real));

    /// <summary>The smallest distance between two eigenvalues' real parts relative to the largest |real part| (0 for none).</summary>
    private static double RelativeMinimumGap(double[] re)
    {
        // The true eigenvalues are real; a complex-conjugate pair shares its real part and so counts as a
        // zero gap (its two eigenvectors' real parts coincide and would give a duplicate factor).
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
