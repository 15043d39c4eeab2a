using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Decomposition;

/// <summary>The thin singular value decomposition A = U diag(S) V^T of a rows x columns matrix, k = min(rows, columns).</summary>
/// <param name="Rows">Rows of A.</param>
/// <param name="Columns">Columns of A.</param>
/// <param name="U">rows x k row-major, orthonormal columns (completed to an orthonormal set where a singular value is 0).</param>
/// <param name="Values">The k singular values, descending.</param>
/// <param name="V">columns x k row-major, orthonormal columns.</param>
internal sealed record SvdResult(int Rows, int Columns, double[] U, double[] Values, double[] V)
{
    /// <summary>Jacobi sweeps run: each applies up to k - 1 rotations to every column, so the rounding of U and V grows with them.</summary>
    public int Sweeps { get; init; }
}

/// <summary>
/// The singular value decomposition in managed code by one-sided Jacobi rotations (Hestenes; the column convergence test of
/// LAPACK's gesvj), after a Householder QR when the matrix is taller than wide (then on the columns x columns R only). Accurate
/// to round-off: ||A - U S V^T|| and ||U^T U - I||, ||V^T V - I|| are a modest multiple of (sweeps + 1) max(rows, columns) u ||A||
/// and (sweeps + 1) max(rows, columns) u (a product of r rotations on each column is orthogonal to within r u, Higham's Lemma 19.9;
/// a sweep applies k - 1 to each column, and random matrices take 6 to 10 sweeps).
/// </summary>
internal static class JacobiSvd
{
    private const double Eps = 2.220446049250313e-16;
    private const int MaxSweeps = 60;

    /// <summary>Decomposes the row-major rows x columns <paramref name="a"/>.</summary>
    /// <exception cref="ArgumentException">The shape and the number of values disagree, or a value is NaN or infinite.</exception>
    /// <exception cref="ArithmeticException">The rotations did not converge in 60 sweeps (not seen on finite input).</exception>
    public static SvdResult Decompose(ReadOnlySpan<double> a, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || a.Length != rows * columns)
            throw new ArgumentException($"Expected a {rows} x {columns} matrix, got {a.Length} values.", nameof(a));
        foreach (double x in a) if (!double.IsFinite(x)) throw new ArgumentException("The matrix holds NaN or infinity.", nameof(a));
        if (rows < columns)
        {
            // A^T = U' S V'^T, so A = V' S U'^T.
            var t = Decompose(DenseMatrix.Transpose(a, rows, columns), columns, rows);
            return new SvdResult(rows, columns, t.V, t.Values, t.U) { Sweeps = t.Sweeps };
        }
        int n = columns;
        if (n == 0) return new SvdResult(rows, columns, [], [], []);
        var scaled = a.ToArray();
        double factor = DenseMatrix.ScaleIntoSafeRange(scaled); // squares of the columns must neither overflow nor underflow
        double[] q = [];
        double[] work;
        int height;
        if (rows > n)
        {
            // A = Q R: the rotations run on the n x n R, and U = Q U_R.
            (q, work) = HouseholderQr.Decompose(scaled, rows, n);
            height = n;
        }
        else
        {
            work = scaled;
            height = rows;
        }
        // Columns of the working matrix (contiguous: g[j * height ..]) and of V (v[j * n ..]).
        var g = DenseMatrix.Transpose(work, height, n);
        var v = new double[n * n];
        for (int j = 0; j < n; j++) v[j * n + j] = 1;
        int sweeps = Orthogonalize(g, height, n, v);

        var values = new double[n];
        for (int j = 0; j < n; j++) values[j] = TensorPrimitives.Norm<double>(g.AsSpan(j * height, height));
        int[] order = Enumerable.Range(0, n).OrderByDescending(j => values[j]).ToArray(); // stable: ties keep their order
        var sorted = new double[n];
        var uColumns = new double[n * height];
        var vRows = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            int j = order[r];
            sorted[r] = values[j];
            if (values[j] > 0)
                TensorPrimitives.Divide(g.AsSpan(j * height, height), values[j], uColumns.AsSpan(r * height, height));
            for (int i = 0; i < n; i++) vRows[i * n + r] = v[j * n + i];
        }
        CompleteColumns(uColumns, height, n, sorted);
        if (factor != 1) TensorPrimitives.Divide(sorted, factor, sorted);
        var uSmall = DenseMatrix.Transpose(uColumns, n, height); // height x n row-major
        double[] u = rows > n ? DenseMatrix.Multiply(q, rows, n, uSmall, n) : uSmall;
        return new SvdResult(rows, columns, u, sorted, vRows) { Sweeps = sweeps };
    }

    /// <summary>The singular values alone, descending.</summary>
    public static double[] Values(ReadOnlySpan<double> a, int rows, int columns) => Decompose(a, rows, columns).Values;

    /// <summary>
    /// Rotates pairs of columns of G (n columns of length m) until every pair is orthogonal to sqrt(m) u relative to their norms,
    /// applying the same rotations to the columns of V; returns the sweeps run.
    /// </summary>
    private static int Orthogonalize(double[] g, int m, int n, double[] v)
    {
        double tolerance = Math.Sqrt(m) * Eps;
        int width = Simd.WidthBits;
        var squares = new double[n];
        for (int j = 0; j < n; j++) squares[j] = TensorPrimitives.SumOfSquares<double>(g.AsSpan(j * m, m));
        for (int sweep = 0; ; sweep++)
        {
            if (sweep == MaxSweeps) throw new ArithmeticException($"The Jacobi SVD did not converge in {MaxSweeps} sweeps.");
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int r = p + 1; r < n; r++)
                {
                    double alpha = squares[p], beta = squares[r];
                    if (alpha == 0 || beta == 0) continue;
                    Span<double> gp = g.AsSpan(p * m, m), gr = g.AsSpan(r * m, m);
                    double gamma = TensorPrimitives.Dot<double>(gp, gr);
                    if (!(Math.Abs(gamma) > tolerance * Math.Sqrt(alpha) * Math.Sqrt(beta))) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = (zeta >= 0 ? 1 : -1) / (Math.Abs(zeta) + double.Hypot(1, zeta));
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    Rotate(gp, gr, c, s, width);
                    Rotate(v.AsSpan(p * n, n), v.AsSpan(r * n, n), c, s, width);
                    squares[p] = TensorPrimitives.SumOfSquares<double>(gp);
                    squares[r] = TensorPrimitives.SumOfSquares<double>(gr);
                }
            if (!rotated) return sweep + 1;
        }
    }

    /// <summary>
    /// (x, y) &lt;- (c x - s y, s x + c y), elementwise on vectors of <paramref name="widthBits"/> (512, 256 or 64: scalar): the same
    /// two products and one sum for each element on every path (no fused multiply-add), so every path gives the scalar loop's bits.
    /// </summary>
    internal static void Rotate(Span<double> x, Span<double> y, double c, double s, int widthBits)
    {
        int i = 0, n = x.Length;
        if (y.Length != n) throw new ArgumentException("x and y must have the same length.", nameof(y));
        ref double x0 = ref MemoryMarshal.GetReference(x), y0 = ref MemoryMarshal.GetReference(y);
        if (widthBits >= 512 && Vector512.IsHardwareAccelerated)
        {
            Vector512<double> cv = Vector512.Create(c), sv = Vector512.Create(s);
            for (; i + 8 <= n; i += 8)
            {
                Vector512<double> xi = Vector512.LoadUnsafe(ref x0, (nuint)i), yi = Vector512.LoadUnsafe(ref y0, (nuint)i);
                (cv * xi - sv * yi).StoreUnsafe(ref x0, (nuint)i);
                (sv * xi + cv * yi).StoreUnsafe(ref y0, (nuint)i);
            }
        }
        else if (widthBits >= 256 && Vector256.IsHardwareAccelerated)
        {
            Vector256<double> cv = Vector256.Create(c), sv = Vector256.Create(s);
            for (; i + 4 <= n; i += 4)
            {
                Vector256<double> xi = Vector256.LoadUnsafe(ref x0, (nuint)i), yi = Vector256.LoadUnsafe(ref y0, (nuint)i);
                (cv * xi - sv * yi).StoreUnsafe(ref x0, (nuint)i);
                (sv * xi + cv * yi).StoreUnsafe(ref y0, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    /// <summary>Replaces the columns of zero singular values by unit vectors orthogonal to all others (Gram-Schmidt, twice).</summary>
    private static void CompleteColumns(double[] columns, int m, int n, double[] values)
    {
        int next = 0;
        for (int r = 0; r < n; r++)
        {
            if (values[r] > 0) continue;
            Span<double> target = columns.AsSpan(r * m, m);
            for (; next < m; next++)
            {
                target.Clear();
                target[next] = 1;
                for (int pass = 0; pass < 2; pass++)
                    for (int o = 0; o < n; o++)
                    {
                        if (o == r) continue; // columns not yet completed are zero
                        ReadOnlySpan<double> other = columns.AsSpan(o * m, m);
                        TensorPrimitives.MultiplyAdd(other, -TensorPrimitives.Dot(other, target), target, target);
                    }
                double norm = TensorPrimitives.Norm<double>(target);
                if (norm > 0.5)
                {
                    TensorPrimitives.Divide(target, norm, target);
                    next++;
                    break;
                }
            }
        }
    }
}
