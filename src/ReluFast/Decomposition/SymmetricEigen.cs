using System.Numerics.Tensors;

namespace ReluFast.Decomposition;

/// <summary>
/// The eigendecomposition A = V diag(lambda) V^T of a real symmetric matrix in managed code: Householder reduction to
/// tridiagonal form and the implicit QL iteration (EISPACK tred2 and tql2, as in JAMA's EigenvalueDecomposition). Backward
/// stable: ||A V - V diag(lambda)|| and ||V^T V - I|| are a modest multiple of n u ||A|| and n u (u = 2^-53).
/// </summary>
/// <remarks>
/// Reads the lower triangle only (as <c>torch.linalg.eigh</c>'s default). A matrix with entries beyond about 1e146 or all below
/// about 1e-146 is scaled by a power of 2 first (<see cref="DenseMatrix.ScaleIntoSafeRange"/>), as LAPACK's syev does.
/// Eigenvalues come in ascending order (as LAPACK's), eigenvectors with whatever sign the iteration leaves (neither this nor
/// LAPACK fixes it).
/// </remarks>
internal static class SymmetricEigen
{
    /// <summary>QL iterations allowed for one eigenvalue before the solve is declared failed (LAPACK allows 30).</summary>
    private const int MaxIterations = 60;

    /// <summary>Decomposes the symmetric n x n row-major <paramref name="a"/> (lower triangle).</summary>
    /// <returns>The eigenvalues in ascending order and the n x n row-major V whose column k is the unit eigenvector of value k.</returns>
    /// <exception cref="ArgumentException">The matrix is not n x n or holds NaN or infinity.</exception>
    /// <exception cref="ArithmeticException">The QL iteration did not converge (not seen on finite input).</exception>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> a, int n) => Solve(a, n, vectors: true);

    /// <summary>
    /// The eigenvalues alone, ascending: the same reduction and iteration without forming or rotating V (tred1 and tql1), about
    /// 4 n^3 / 3 multiply-adds where <see cref="Decompose"/> takes about 9 n^3.
    /// </summary>
    /// <exception cref="ArgumentException">The matrix is not n x n or holds NaN or infinity.</exception>
    public static double[] Values(ReadOnlySpan<double> a, int n) => Solve(a, n, vectors: false).Values;

    /// <summary>The checks, the scaling into range, tred2 and tql2 (without V: tred1 and tql1); V is meaningful only with vectors.</summary>
    private static (double[] Values, double[] Vectors) Solve(ReadOnlySpan<double> a, int n, bool vectors)
    {
        if (n < 0 || a.Length != n * n) throw new ArgumentException($"Expected an {n} x {n} matrix, got {a.Length} values.", nameof(a));
        foreach (double x in a) if (!double.IsFinite(x)) throw new ArgumentException("The matrix holds NaN or infinity.", nameof(a));
        var v = a.ToArray();
        var d = new double[n];
        var e = new double[n];
        if (n == 0) return (d, v);
        double factor = DenseMatrix.ScaleIntoSafeRange(v);
        Tridiagonalize(v, d, e, n, accumulate: vectors);
        Diagonalize(v, d, e, n, vectors);
        if (factor != 1) TensorPrimitives.Divide(d, factor, d);
        return (d, v);
    }

    /// <summary>
    /// tred2: V becomes the orthogonal Q with Q^T A Q tridiagonal, d its diagonal and e its subdiagonal (in e[1..n-1]); without
    /// <paramref name="accumulate"/>, V is left holding the Householder vectors and only d and e are meaningful.
    /// </summary>
    private static void Tridiagonalize(double[] v, double[] d, double[] e, int n, bool accumulate)
    {
        for (int j = 0; j < n; j++) d[j] = v[(n - 1) * n + j];
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                    v[j * n + i] = 0;
                }
            }
            else
            {
                // The Householder vector of row i, scaled against under- and overflow.
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0;
                // The similarity transformation on the remaining columns.
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) v[k * n + j] -= f * e[k] + g * d[k];
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                }
            }
            d[i] = h;
        }
        if (!accumulate)
        {
            // row i is final once the reduction has passed it: the diagonal of Q^T A Q stays on the diagonal of V
            for (int j = 0; j < n; j++) d[j] = v[j * n + j];
            e[0] = 0;
            return;
        }
        // Accumulate the transformations.
        for (int i = 0; i < n - 1; i++)
        {
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = 1;
            double h = d[i + 1];
            if (h != 0)
            {
                for (int k = 0; k <= i; k++) d[k] = v[k * n + i + 1] / h;
                for (int j = 0; j <= i; j++)
                {
                    double g = 0;
                    for (int k = 0; k <= i; k++) g += v[k * n + i + 1] * v[k * n + j];
                    for (int k = 0; k <= i; k++) v[k * n + j] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++) v[k * n + i + 1] = 0;
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = 0;
        }
        v[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    /// <summary>tql2: the implicit QL iteration on the tridiagonal (d, e), rotations accumulated into V; then sorted ascending.</summary>
    private static void Diagonalize(double[] v, double[] d, double[] e, int n, bool vectors)
    {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        const double Eps = 2.220446049250313e-16;
        for (int l = 0; l < n; l++)
        {
            // The first negligible subdiagonal entry at or after l (e[n - 1] = 0 ends the search).
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && !(Math.Abs(e[m]) <= Eps * tst1)) m++;
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > MaxIterations)
                        throw new ArithmeticException($"The symmetric QL iteration did not converge for eigenvalue {l} of {n}.");
                    // The implicit (Wilkinson) shift.
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = double.Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    // The implicit QL transformation.
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1;
                    double el1 = e[l + 1];
                    double s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = double.Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        if (!vectors) continue;
                        for (int k = 0; k < n; k++)
                        {
                            h = v[k * n + i + 1];
                            v[k * n + i + 1] = s * v[k * n + i] + c * h;
                            v[k * n + i] = c * v[k * n + i] - s * h;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > Eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
        if (!vectors)
        {
            Array.Sort(d);
            return;
        }
        // Ascending order (selection sort, vectors swapped along).
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++)
                if (d[j] < p)
                {
                    k = j;
                    p = d[j];
                }
            if (k == i) continue;
            d[k] = d[i];
            d[i] = p;
            for (int j = 0; j < n; j++) (v[j * n + i], v[j * n + k]) = (v[j * n + k], v[j * n + i]);
        }
    }
}
