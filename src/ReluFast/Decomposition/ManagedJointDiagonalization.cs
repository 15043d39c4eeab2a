using System.Numerics.Tensors;

namespace ReluFast.Decomposition;

/// <summary>
/// <see cref="JointDiagonalization"/> in managed code for the stacks that <see cref="DenseBackend"/> keeps off libtorch: the same
/// whitening search (alternating projections), the same two rounds (first whitening, then the balanced one) and the same
/// Jacobi rotations (<see cref="JointDiagonalization.Jacobi"/>, shared).
/// </summary>
internal static class ManagedJointDiagonalization
{
    private const int MaxProjections = 500;

    /// <summary>Starting factors (n x n row-major, unit columns; the identity when no positive definite combination was found).</summary>
    public static (double[] Factors, bool Whitened, int Sweeps) Start(SliceArray stack, int maxSweeps)
    {
        int n = stack.N, s = stack.S, nn = n * n;
        // The top-n left singular subspace of the unfolding (n^2 x s, one slice per column).
        var unfolding = new double[nn * s];
        for (int t = 0; t < s; t++)
            for (int e = 0; e < nn; e++) unfolding[e * s + t] = stack.Values[t * nn + e];
        var svd = JacobiSvd.Decompose(unfolding, nn, s);
        int k = svd.Values.Length, r = Math.Min(n, s);
        var span = new double[nn * r];
        for (int e = 0; e < nn; e++)
            for (int c = 0; c < r; c++) span[e * r + c] = svd.U[e * k + c];
        var z = PositiveCombination(span, n, r);
        if (z is null)
        {
            var identity = new double[nn];
            for (int i = 0; i < n; i++) identity[i * n + i] = 1;
            return (identity, false, 0);
        }
        double stackNorm = Math.Max(stack.Norm, 1e-300);
        var first = Round(stack, z, maxSweeps, out int sweeps);
        var d = ManagedSliceStack.SolveDiagonals(stack, first, n);
        double firstResidual = ManagedSliceStack.Residual(stack, first, n, d, stackNorm);

        // Balanced whitening: alpha with D^T alpha = 1, so Z = sum_t alpha_t X_t = A A^T.
        var ones = new double[n];
        Array.Fill(ones, 1.0);
        var alpha = DenseMatrix.LeastSquares(DenseMatrix.Transpose(d, s, n), n, s, ones, 1);
        var balanced = DenseMatrix.Symmetrize(stack.Combine(alpha), n);
        if (!IsPositiveDefinite(balanced, n)) return (first, true, sweeps);
        var second = Round(stack, balanced, maxSweeps, out int secondSweeps);
        double secondResidual = ManagedSliceStack.Residual(stack, second, n, ManagedSliceStack.SolveDiagonals(stack, second, n), stackNorm);
        return secondResidual <= firstResidual ? (second, true, secondSweeps) : (first, true, sweeps);
    }

    /// <summary>
    /// <see cref="JointDiagonalization.PositiveCombination"/>: a well-conditioned positive definite member of the span of the
    /// orthonormal columns of <paramref name="span"/> (n^2 x r), or null.
    /// </summary>
    internal static double[]? PositiveCombination(double[] span, int n, int r)
    {
        int nn = n * n;
        var coefficients = new double[r];
        double[] Project(double[] x)
        {
            Array.Clear(coefficients);
            for (int e = 0; e < nn; e++) TensorPrimitives.MultiplyAdd(span.AsSpan(e * r, r), x[e], coefficients, coefficients);
            var p = new double[nn];
            for (int e = 0; e < nn; e++) p[e] = TensorPrimitives.Dot<double>(span.AsSpan(e * r, r), coefficients);
            return DenseMatrix.Symmetrize(p, n);
        }
        var eye = new double[nn];
        for (int i = 0; i < n; i++) eye[i * n + i] = 1;
        var z = Project(eye);
        const double Floor = 0.1;
        double[]? best = null;
        double bestRatio = 1e-10;
        int sinceImproved = 0;
        var lifted = new double[nn];
        for (int it = 0; it < MaxProjections; it++)
        {
            var (values, vectors) = SymmetricEigen.Decompose(z, n);
            double low = values[0], high = values[n - 1];
            if (high > 0 && low > bestRatio * high)
            {
                sinceImproved = low > 1.01 * bestRatio * high ? 0 : sinceImproved + 1;
                bestRatio = low / high;
                best = z;
            }
            else if (best is not null) sinceImproved++;
            // Near the cone, well conditioned enough (the balanced second round does the rest), or no longer improving.
            if (low >= 0.9 * Floor || bestRatio >= 1e-2 || sinceImproved >= 20) break;
            // V diag(max(l, Floor)) V^T
            Array.Clear(lifted);
            var vt = DenseMatrix.Transpose(vectors, n, n);
            for (int c = 0; c < n; c++)
            {
                ReadOnlySpan<double> column = vt.AsSpan(c * n, n);
                double lambda = Math.Max(values[c], Floor);
                for (int i = 0; i < n; i++)
                {
                    Span<double> row = lifted.AsSpan(i * n, n);
                    TensorPrimitives.MultiplyAdd(column, lambda * column[i], row, row);
                }
            }
            z = Project(lifted);
        }
        return best;
    }

    private static bool IsPositiveDefinite(double[] z, int n)
    {
        var values = SymmetricEigen.Values(z, n);
        double low = values[0], high = values[^1];
        return low > 1e-10 * high && high > 0;
    }

    /// <summary>Whitens by Z = Q diag(l) Q^T, diagonalises the whitened slices jointly, maps back: A = Q diag(sqrt l) V.</summary>
    private static double[] Round(SliceArray stack, double[] z, int maxSweeps, out int sweeps)
    {
        int n = stack.N, s = stack.S, nn = n * n;
        var (values, q) = SymmetricEigen.Decompose(z, n);
        var root = new double[n];
        for (int i = 0; i < n; i++) root[i] = Math.Sqrt(values[i]);
        // diag(l^-1/2) Q^T
        var inverseRoot = new double[nn];
        for (int a = 0; a < n; a++)
            for (int i = 0; i < n; i++) inverseRoot[a * n + i] = q[i * n + a] / root[a];
        var slices = new double[s * nn];
        for (int t = 0; t < s; t++)
        {
            var left = DenseMatrix.Multiply(inverseRoot, n, n, stack.Slice(t), n);
            DenseMatrix.MultiplyTransposed(left, n, n, inverseRoot, n).CopyTo(slices, t * nn);
        }
        var rotation = JointDiagonalization.Jacobi(slices, n, s, maxSweeps, out sweeps);
        var scaled = new double[nn];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < n; a++) scaled[i * n + a] = q[i * n + a] * root[a];
        var result = DenseMatrix.Multiply(scaled, n, n, rotation, n);
        DenseMatrix.NormalizeColumns(result, n, n);
        return result;
    }
}
