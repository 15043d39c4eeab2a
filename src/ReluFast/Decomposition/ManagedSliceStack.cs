using System.Numerics.Tensors;

namespace ReluFast.Decomposition;

/// <summary>A stack of s symmetric n x n slices in one array, slice t at [t n^2, (t + 1) n^2), each row-major.</summary>
/// <param name="Values">The s n^2 entries.</param>
/// <param name="N">Slice size n.</param>
/// <param name="S">Number of slices s.</param>
internal sealed record SliceArray(double[] Values, int N, int S)
{
    /// <summary>Slice t.</summary>
    public ReadOnlySpan<double> Slice(int t) => Values.AsSpan(t * N * N, N * N);

    /// <summary>Frobenius norm of the whole stack.</summary>
    public double Norm => TensorPrimitives.Norm<double>(Values);

    /// <summary>Every slice replaced by (X + X^T) / 2.</summary>
    public SliceArray Symmetrized()
    {
        var values = new double[Values.Length];
        int n = N, nn = n * n;
        for (int t = 0; t < S; t++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) values[t * nn + i * n + j] = (Values[t * nn + i * n + j] + Values[t * nn + j * n + i]) * 0.5;
        return new SliceArray(values, n, S);
    }

    /// <summary>sum_t weights[t] X_t (n x n).</summary>
    public double[] Combine(ReadOnlySpan<double> weights)
    {
        var sum = new double[N * N];
        for (int t = 0; t < S; t++) TensorPrimitives.MultiplyAdd(Slice(t), weights[t], sum, sum);
        return sum;
    }
}

/// <summary>The managed counterpart of <see cref="PolishedStack"/>: polished factors (n x k) and diagonals (s x k), row-major.</summary>
/// <param name="Factors">n x k, unit columns.</param>
/// <param name="Diagonals">s x k: the least-squares d_t with X_t ~ A diag(d_t) A^T.</param>
/// <param name="StartResidual">Relative Frobenius residual of the starting factors.</param>
/// <param name="Residual">Relative Frobenius residual of the polished factors.</param>
/// <param name="Iterations">Polish iterations run.</param>
internal sealed record PolishedSlices(double[] Factors, double[] Diagonals, double StartResidual, double Residual, int Iterations);

/// <summary>
/// <see cref="SliceStack"/> in managed code for the stacks that <see cref="DenseBackend"/> keeps off libtorch: the same least
/// squares (pseudo-inverse with the same rank cut), the same polish and stopping rule, the same pencil choice.
/// </summary>
internal static class ManagedSliceStack
{
    /// <summary>Least-squares diagonals D (s x k) with X_t ~ A diag(D[t]) A^T, A n x k.</summary>
    public static double[] SolveDiagonals(SliceArray stack, double[] a, int k) =>
        SolveDiagonals(stack, a, k, SlicesAsColumns(stack), new double[stack.N * stack.N * k]);

    /// <summary>The slices as the columns of an n^2 x s matrix: the right-hand sides of the least squares for the diagonals.</summary>
    private static double[] SlicesAsColumns(SliceArray stack)
    {
        int s = stack.S, nn = stack.N * stack.N;
        var rhs = new double[nn * s];
        for (int t = 0; t < s; t++)
            for (int e = 0; e < nn; e++) rhs[e * s + t] = stack.Values[t * nn + e];
        return rhs;
    }

    /// <summary>
    /// <see cref="SolveDiagonals(SliceArray, double[], int)"/> with the slices as columns given (<see cref="SlicesAsColumns"/>) and the
    /// Khatri-Rao columns a_r (x) a_r written into <paramref name="kr"/> (k x n^2, column r at [r n^2, (r + 1) n^2)), which the
    /// least squares overwrite: the polish solves every iteration against one stack.
    /// </summary>
    private static double[] SolveDiagonals(SliceArray stack, double[] a, int k, double[] rhs, double[] kr)
    {
        int n = stack.N, s = stack.S, nn = n * n;
        for (int r = 0; r < k; r++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) kr[r * nn + i * n + j] = a[i * k + r] * a[j * k + r];
        return DenseMatrix.Transpose(DenseMatrix.LeastSquaresInPlace(kr, nn, k, rhs, s), k, s);
    }

    /// <summary>||X - A diag(D) A^T||_F / <paramref name="stackNorm"/>.</summary>
    public static double Residual(SliceArray stack, double[] a, int k, double[] d, double stackNorm)
    {
        int n = stack.N;
        var scaled = new double[n * k];
        var model = new double[n * n];
        double sum = 0;
        for (int t = 0; t < stack.S; t++)
        {
            for (int i = 0; i < n; i++) TensorPrimitives.Multiply(a.AsSpan(i * k, k), d.AsSpan(t * k, k), scaled.AsSpan(i * k, k));
            DenseMatrix.MultiplyTransposedInto(scaled, n, k, a, n, model);
            ReadOnlySpan<double> slice = stack.Slice(t);
            for (int e = 0; e < model.Length; e++)
            {
                double diff = slice[e] - model[e];
                sum += diff * diff;
            }
        }
        return Math.Sqrt(sum) / stackNorm;
    }

    /// <summary>
    /// Polishes A (n x k) over all slices: A &lt;- X_(1) (D kr A) [(D^T D) o (A^T A)]^{-1}, unit columns, D re-solved; stopping
    /// rule of <see cref="SliceStack"/>.
    /// </summary>
    public static PolishedSlices Polish(SliceArray stack, double[] start, int k, int maxIterations)
    {
        int n = stack.N, s = stack.S;
        double stackNorm = Math.Max(stack.Norm, 1e-300);
        var polished = (double[])start.Clone();
        DenseMatrix.NormalizeColumns(polished, n, k);
        // buffers every iteration reuses: the slices as columns, the Khatri-Rao columns, R and X_t A (the same sums as fresh ones)
        double[] rhs = SlicesAsColumns(stack), kr = new double[n * n * k], r = new double[n * k], xa = new double[n * k];
        var diagonals = SolveDiagonals(stack, polished, k, rhs, kr);
        double residual = Residual(stack, polished, k, diagonals, stackNorm);
        double startResidual = residual;
        int iterations = 0;
        for (; iterations < maxIterations; iterations++)
        {
            // R[i, r] = sum_t D[t, r] (X_t A)[i, r]
            Array.Clear(r);
            for (int t = 0; t < s; t++)
            {
                DenseMatrix.MultiplyInto(stack.Slice(t), n, n, polished, k, xa);
                ReadOnlySpan<double> dt = diagonals.AsSpan(t * k, k);
                for (int i = 0; i < n; i++)
                    for (int c = 0; c < k; c++) r[i * k + c] += xa[i * k + c] * dt[c];
            }
            var g = DenseMatrix.Multiply(DenseMatrix.Transpose(diagonals, s, k), k, s, diagonals, k);
            var gram = DenseMatrix.Multiply(DenseMatrix.Transpose(polished, n, k), k, n, polished, k);
            TensorPrimitives.Multiply(g, gram, g);
            var next = DenseMatrix.Transpose(DenseMatrix.LeastSquares(g, k, k, DenseMatrix.Transpose(r, n, k), n), k, n);
            DenseMatrix.NormalizeColumns(next, n, k);
            var nextDiagonals = SolveDiagonals(stack, next, k, rhs, kr);
            double nextResidual = Residual(stack, next, k, nextDiagonals, stackNorm);
            if (!(nextResidual <= residual * (1 + 1e-12))) break; // keep the best point; stop on divergence
            double change = 0;
            for (int e = 0; e < next.Length; e++) change = Math.Max(change, Math.Abs(next[e] - polished[e]));
            double previous = residual;
            polished = next;
            diagonals = nextDiagonals;
            residual = nextResidual;
            if (change < 1e-13 || previous - residual < SliceStack.RelativeDecrease * previous)
            {
                iterations++;
                break;
            }
        }
        return new PolishedSlices(polished, diagonals, startResidual, residual, iterations);
    }

    /// <summary>
    /// Jennrich's step over random pencils: the eigenvectors (k x k pencils, k x k result) of pencil(t) for t = 0..trials-1,
    /// keeping the pencil whose eigenvalues score best under <paramref name="gap"/> (real parts, imaginary parts).
    /// </summary>
    /// <remarks>
    /// A complex pair's columns are the real and imaginary parts of its eigenvector, a basis of its invariant plane, from which the
    /// polish can still rotate out two factors. libtorch's path keeps the real parts of both conjugate vectors, which are the
    /// same column twice. Either way the gap functions score a complex pair as no gap, so such a pencil is chosen only when
    /// every pencil has one.
    /// </remarks>
    public static (double[] Vectors, double Gap) BestPencil(int trials, int k, Func<int, double[]> pencil, Func<double[], double[], double> gap)
    {
        double[]? best = null;
        double bestGap = double.NegativeInfinity;
        for (int t = 0; t < trials; t++)
        {
            var eigen = RealEigen.Decompose(pencil(t), k);
            double score = gap(eigen.Real, eigen.Imaginary);
            if (score > bestGap)
            {
                bestGap = score;
                best = eigen.Vectors;
            }
        }
        return (best!, bestGap);
    }
}
