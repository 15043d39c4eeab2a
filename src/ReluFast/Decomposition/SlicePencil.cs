using System.Runtime.CompilerServices;
using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>What <see cref="SlicePencil"/> found.</summary>
/// <param name="Factors">n x k row-major; column i is the unit vector v_i.</param>
/// <param name="Diagonals">s x k row-major: the least-squares d_s with S_s ~ V diag(d_s) V^T.</param>
/// <param name="ChordalGap">The best minimum chordal gap of the pencil eigenvalues over the random pencils tried
/// (1 is ideal, near 0 is ill-conditioned).</param>
/// <param name="PencilResidual">Relative Frobenius residual of the slices after the pencil step alone.</param>
/// <param name="PolishedResidual">Relative Frobenius residual after the alternating-least-squares polish.</param>
/// <param name="PolishIterations">Iterations of the polish.</param>
internal sealed record SlicePencilResult(double[] Factors, double[] Diagonals, double ChordalGap, double PencilResidual, double PolishedResidual,
    int PolishIterations);

/// <summary>
/// Simultaneous diagonalisation of a stack of symmetric slices S_1..S_s = V diag(d_s) V^T with V of k columns in
/// R^n (k &lt;= n) and a third factor [d_1 ... d_s] of any number of rows (docs/algorithm.md sections 7 and 11.6, generalised):
/// project onto the top-k left singular subspace of the slices, take the eigenvectors of X_alpha X_beta^{-1} for
/// random combinations X = sum_s alpha_s S_s (Jennrich), keep the pencil whose eigenvalues are best separated
/// (chordal metric), then polish V by alternating least squares over all slices.
/// </summary>
internal static class SlicePencil
{
    /// <summary>Decomposes the stack.</summary>
    /// <param name="slices">s symmetric n x n row-major matrices.</param>
    /// <param name="n">Slice size.</param>
    /// <param name="k">Number of components (1 &lt;= k &lt;= n).</param>
    /// <param name="trials">Random pencils tried.</param>
    /// <param name="seed">Seed of the random combinations.</param>
    /// <param name="polishIterations">Maximum alternating-least-squares iterations (0 disables the polish).</param>
    /// <exception cref="ArgumentException">Shapes are inconsistent or values are not finite.</exception>
    public static SlicePencilResult Decompose(IReadOnlyList<double[]> slices, int n, int k, int trials = 16, ulong seed = 1,
        int polishIterations = 200)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (slices.Count == 0) throw new ArgumentException("No slices.", nameof(slices));
        if (n <= 0 || k <= 0 || k > n) throw new ArgumentException($"Need 1 <= k <= n, got k = {k}, n = {n}.", nameof(k));
        foreach (double[] slice in slices)
        {
            if (slice.Length != n * n) throw new ArgumentException($"Every slice must be {n} x {n}.", nameof(slices));
            foreach (double entry in slice)
                if (!double.IsFinite(entry)) throw new ArgumentException("A slice holds NaN or infinity.", nameof(slices));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        return DenseBackend.IsManagedStack(n) ? DecomposeManaged(slices, n, k, trials, seed, polishIterations)
            : DecomposeTorch(slices, n, k, trials, seed, polishIterations);
    }

    /// <summary>The decomposition in managed code (<see cref="DenseBackend"/>; arguments checked by the caller).</summary>
    internal static SlicePencilResult DecomposeManaged(IReadOnlyList<double[]> slices, int n, int k, int trials, ulong seed, int polishIterations)
    {
        int s = slices.Count, nn = n * n;
        var values = new double[s * nn];
        for (int t = 0; t < s; t++) slices[t].CopyTo(values, t * nn);
        var stack = new SliceArray(values, n, s).Symmetrized();
        double[]? basis = null;
        var work = stack;
        if (k < n)
        {
            // Top-k left singular vectors of the unfolding [S_1 ... S_s] (n x n s, entry (i, j s + t) = S_t[i, j]).
            var unfolding = new double[n * n * s];
            for (int t = 0; t < s; t++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) unfolding[i * n * s + j * s + t] = stack.Values[t * nn + i * n + j];
            var svd = JacobiSvd.Decompose(unfolding, n, n * s);
            basis = new double[n * k];
            for (int i = 0; i < n; i++) Array.Copy(svd.U, i * n, basis, i * k, k);
            var projected = new double[s * k * k];
            for (int t = 0; t < s; t++)
            {
                var left = DenseMatrix.Multiply(DenseMatrix.Transpose(basis, n, k), k, n, stack.Slice(t), n);
                DenseMatrix.Multiply(left, k, n, basis, k).CopyTo(projected, t * k * k);
            }
            work = new SliceArray(projected, k, s);
        }

        var normals = new CounterGaussian(seed, key: 0x5C1CE);
        var alpha = new double[s];
        var beta = new double[s];
        var (vectors, bestGap) = ManagedSliceStack.BestPencil(trials, k, t =>
        {
            normals.Fill((long)t * 2 * s, alpha);
            normals.Fill((long)t * 2 * s + s, beta);
            var xa = work.Combine(alpha);
            var xb = work.Combine(beta);
            System.Numerics.Tensors.TensorPrimitives.Divide(xa, Math.Max(System.Numerics.Tensors.TensorPrimitives.Norm<double>(xa), 1e-300), xa);
            System.Numerics.Tensors.TensorPrimitives.Divide(xb, Math.Max(System.Numerics.Tensors.TensorPrimitives.Norm<double>(xb), 1e-300), xb);
            // X_a X_b^{-1} = V D_a D_b^{-1} V^{-1} = (X_b^{-1} X_a)^T.
            return DenseMatrix.Transpose(DenseMatrix.LeastSquares(xb, k, k, xa, k), k, k);
        }, ChordalGap);

        var polished = ManagedSliceStack.Polish(work, vectors, k, polishIterations);
        var v = polished.Factors;
        if (basis is not null)
        {
            v = DenseMatrix.Multiply(basis, n, k, polished.Factors, k);
            DenseMatrix.NormalizeColumns(v, n, k);
        }
        return new SlicePencilResult(v, polished.Diagonals, bestGap, polished.StartResidual, polished.Residual, polished.Iterations);
    }

    /// <summary>The decomposition through libtorch (<see cref="DenseBackend"/>; arguments checked by the caller).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static SlicePencilResult DecomposeTorch(IReadOnlyList<double[]> slices, int n, int k, int trials, ulong seed, int polishIterations)
    {
        int s = slices.Count;
        using var scope = NewDisposeScope();
        var stack = StackSlices(slices, n);                   // n x n x s
        stack = TorchTensors.Symmetrized(stack);
        Tensor? basis = null;
        var work = stack;
        if (k < n)
        {
            // Top-k left singular vectors of the unfolding [S_1 ... S_s] (n x n s).
            var (u, _, _) = linalg.svd(stack.reshape(n, n * s), fullMatrices: false);
            basis = u.narrow(1, 0, k).contiguous();
            work = einsum("ia,ijs,jb->abs", basis, stack, basis);
        }

        var normals = new CounterGaussian(seed, key: 0x5C1CE);
        var alpha = new double[s];
        var beta = new double[s];
        var (vectors, bestGap) = SliceStack.BestPencil(trials, t =>
        {
            normals.Fill((long)t * 2 * s, alpha);
            normals.Fill((long)t * 2 * s + s, beta);
            var xa = einsum("ijs,s->ij", work, TorchTensors.Vector(alpha));
            var xb = einsum("ijs,s->ij", work, TorchTensors.Vector(beta));
            xa = xa / TorchTensors.ClampMin(xa.norm(), 1e-300);
            xb = xb / TorchTensors.ClampMin(xb.norm(), 1e-300);
            // X_a X_b^{-1} = V D_a D_b^{-1} V^{-1} = (X_b^{-1} X_a)^T.
            return TorchTensors.LeastSquares(xb, xa).T;
        }, values => ChordalGap(TorchTensors.ToArray(values.real), TorchTensors.ToArray(values.imag)));

        var polished = SliceStack.Polish(work, vectors, polishIterations);
        var v = basis is null ? polished.Factors : SliceStack.NormalizeColumns(basis.matmul(polished.Factors));
        return new SlicePencilResult(TorchTensors.ToArray(v), TorchTensors.ToArray(polished.Diagonals), bestGap, polished.StartResidual,
            polished.Residual, polished.Iterations);
    }

    private static Tensor StackSlices(IReadOnlyList<double[]> slices, int n)
    {
        var parts = slices.Select(sl => TorchTensors.Matrix(sl, n, n).unsqueeze(2)).ToArray();
        return cat(parts, 2);
    }

    /// <summary>
    /// min over pairs of |sin(theta_i - theta_j)| with theta = atan(lambda): the pencil's eigenvalues as points of the
    /// projective line, so a huge eigenvalue (a near-zero entry of D_b) counts as close to the others near infinity.
    /// Complex pairs count as a zero gap.
    /// </summary>
    private static double ChordalGap(double[] re, double[] im)
    {
        int count = re.Length;
        double scale = 0;
        for (int i = 0; i < count; i++) scale = Math.Max(scale, Math.Abs(re[i]));
        for (int i = 0; i < count; i++) if (Math.Abs(im[i]) > 1e-9 * Math.Max(scale, 1)) return 0;
        if (count == 1) return 1;
        var theta = re.Select(Math.Atan).ToArray();
        double gap = double.PositiveInfinity;
        for (int i = 0; i < count; i++)
            for (int j = i + 1; j < count; j++) gap = Math.Min(gap, Math.Abs(Math.Sin(theta[i] - theta[j])));
        return gap;
    }
}
