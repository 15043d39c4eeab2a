using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Decomposition;

/// <summary>
/// Products, pseudo-inverses and least squares on row-major double arrays in managed code, for the dense problems small enough
/// to skip libtorch (<see cref="DenseBackend"/>); the factorisations are <see cref="SymmetricEigen"/>, <see cref="RealEigen"/>,
/// <see cref="JacobiSvd"/> and <see cref="HouseholderQr"/>. Rows are combined with <see cref="TensorPrimitives"/>.
/// </summary>
internal static class DenseMatrix
{
    /// <summary>Machine epsilon of double (2^-52).</summary>
    public const double Eps = 2.220446049250313e-16;

    private static readonly double s_safeLow = Math.Sqrt(2.2250738585072014e-308 / Eps); // LAPACK's rmin, about 1e-146

    /// <summary>A^T (columns x rows) of the rows x columns A.</summary>
    public static double[] Transpose(ReadOnlySpan<double> a, int rows, int columns)
    {
        var t = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) t[j * rows + i] = a[i * columns + j];
        return t;
    }

    /// <summary>A B (rows x columns) of the rows x inner A and the inner x columns B.</summary>
    public static double[] Multiply(ReadOnlySpan<double> a, int rows, int inner, ReadOnlySpan<double> b, int columns)
    {
        var c = new double[rows * columns];
        MultiplyInto(a, rows, inner, b, columns, c);
        return c;
    }

    /// <summary>C = A B into <paramref name="c"/> (rows x columns): <see cref="Multiply"/> without a result array.</summary>
    public static void MultiplyInto(ReadOnlySpan<double> a, int rows, int inner, ReadOnlySpan<double> b, int columns, Span<double> c)
    {
        if (a.Length != rows * inner || b.Length != inner * columns)
            throw new ArgumentException($"Cannot multiply {a.Length} values as {rows} x {inner} by {b.Length} values as {inner} x {columns}.");
        if (c.Length < rows * columns) throw new ArgumentException($"The product needs {rows * columns} entries.", nameof(c));
        if (!Vector512.IsHardwareAccelerated)
        {
            c.Slice(0, rows * columns).Clear();
            for (int i = 0; i < rows; i++)
            {
                Span<double> row = c.Slice(i * columns, columns);
                for (int p = 0; p < inner; p++) TensorPrimitives.MultiplyAdd(b.Slice(p * columns, columns), a[i * inner + p], row, row);
            }
            return;
        }
        // The same sums as the loop above, each entry c_ij = (.. (b_0j a_i0 + 0) + b_1j a_i1 ..) + b_(inner-1)j a_i(inner-1),
        // unfused and in order, so the same bits; but up to 32 entries of a row stay in registers over the whole inner loop
        // instead of one short TensorPrimitives call per (i, p).
        ref double b0 = ref MemoryMarshal.GetReference(b);
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<double> ai = a.Slice(i * inner, inner);
            ref double ci = ref MemoryMarshal.GetReference(c.Slice(i * columns, columns));
            int j = 0;
            for (; j + 32 <= columns; j += 32)
            {
                Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < inner; p++)
                {
                    var f = Vector512.Create(ai[p]);
                    ref double bp = ref Unsafe.Add(ref b0, (nint)p * columns + j);
                    s0 = Vector512.LoadUnsafe(ref bp) * f + s0;
                    s1 = Vector512.LoadUnsafe(ref bp, 8) * f + s1;
                    s2 = Vector512.LoadUnsafe(ref bp, 16) * f + s2;
                    s3 = Vector512.LoadUnsafe(ref bp, 24) * f + s3;
                }
                s0.StoreUnsafe(ref ci, (nuint)j);
                s1.StoreUnsafe(ref ci, (nuint)j + 8);
                s2.StoreUnsafe(ref ci, (nuint)j + 16);
                s3.StoreUnsafe(ref ci, (nuint)j + 24);
            }
            for (; j + 8 <= columns; j += 8)
            {
                Vector512<double> s0 = Vector512<double>.Zero;
                for (int p = 0; p < inner; p++)
                    s0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref b0, (nint)p * columns + j)) * Vector512.Create(ai[p]) + s0;
                s0.StoreUnsafe(ref ci, (nuint)j);
            }
            for (; j < columns; j++)
            {
                double s0 = 0;
                for (int p = 0; p < inner; p++) s0 = Unsafe.Add(ref b0, (nint)p * columns + j) * ai[p] + s0;
                Unsafe.Add(ref ci, j) = s0;
            }
        }
    }

    /// <summary>A B^T (rows x columns) of the rows x inner A and the columns x inner B.</summary>
    public static double[] MultiplyTransposed(ReadOnlySpan<double> a, int rows, int inner, ReadOnlySpan<double> b, int columns)
    {
        var c = new double[rows * columns];
        MultiplyTransposedInto(a, rows, inner, b, columns, c);
        return c;
    }

    /// <summary>A B^T into <paramref name="c"/> (rows x columns): <see cref="MultiplyTransposed"/> without a result array.</summary>
    public static void MultiplyTransposedInto(ReadOnlySpan<double> a, int rows, int inner, ReadOnlySpan<double> b, int columns, Span<double> c)
    {
        if (a.Length != rows * inner || b.Length != columns * inner)
            throw new ArgumentException($"Cannot multiply {a.Length} values as {rows} x {inner} by the transpose of {b.Length} values as " +
                $"{columns} x {inner}.");
        if (c.Length < rows * columns) throw new ArgumentException($"The product needs {rows * columns} entries.", nameof(c));
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) c[i * columns + j] = TensorPrimitives.Dot(a.Slice(i * inner, inner), b.Slice(j * inner, inner));
    }

    /// <summary>
    /// The pseudo-inverse (columns x rows) V diag(1/s) U^T over the singular values s &gt; <paramref name="relativeTolerance"/> s_max
    /// (<c>torch.linalg.pinv</c>'s rule with that rtol).
    /// </summary>
    public static double[] PseudoInverse(ReadOnlySpan<double> a, int rows, int columns, double relativeTolerance)
    {
        var svd = JacobiSvd.Decompose(a, rows, columns);
        int k = svd.Values.Length;
        var p = new double[columns * rows];
        if (k == 0) return p;
        double cutoff = relativeTolerance * svd.Values[0];
        // P = sum_r v_r u_r^T / s_r: row i of P gathers V[i, r] / s_r times the rows of U^T.
        var ut = Transpose(svd.U, rows, k);
        for (int r = 0; r < k; r++)
        {
            if (!(svd.Values[r] > cutoff)) break;
            ReadOnlySpan<double> ur = ut.AsSpan(r * rows, rows);
            for (int i = 0; i < columns; i++)
            {
                double coefficient = svd.V[i * k + r] / svd.Values[r];
                Span<double> row = p.AsSpan(i * rows, rows);
                TensorPrimitives.MultiplyAdd(ur, coefficient, row, row);
            }
        }
        return p;
    }

    /// <summary>
    /// The minimum-norm least-squares solution X (columns x rhs) of A X = B for the rows x columns A and rows x rhs B: pinv(A) B
    /// with the rank cut s &gt; s_max u max(rows, columns), the rule of <see cref="TorchTensors.LeastSquares"/>.
    /// </summary>
    public static double[] LeastSquares(ReadOnlySpan<double> a, int rows, int columns, ReadOnlySpan<double> b, int rhs)
    {
        if (b.Length != rows * rhs) throw new ArgumentException($"Least squares needs B with {rows} rows, got {b.Length} values for {rhs} columns.");
        if (rows <= columns) return Multiply(PseudoInverse(a, rows, columns, Eps * Math.Max(rows, columns)), columns, rows, b, rhs);
        return LeastSquaresInPlace(Transpose(a, rows, columns), rows, columns, b, rhs);
    }

    /// <summary>
    /// <see cref="LeastSquares"/> for A given column by column (A^T row-major, column j at [j rows, (j + 1) rows)), which a tall A's
    /// QR overwrites: a caller that builds A every iteration in its own buffer saves the copy.
    /// </summary>
    public static double[] LeastSquaresInPlace(Span<double> columnsOfA, int rows, int columns, ReadOnlySpan<double> b, int rhs)
    {
        if (b.Length != rows * rhs) throw new ArgumentException($"Least squares needs B with {rows} rows, got {b.Length} values for {rhs} columns.");
        double tolerance = Eps * Math.Max(rows, columns);
        if (rows <= columns) return Multiply(PseudoInverse(Transpose(columnsOfA, columns, rows), rows, columns, tolerance), columns, rows, b, rhs);
        // A = Q R with orthonormal Q: pinv(A) = pinv(R) Q^T and A, R share their singular values, so X = pinv(R) (Q^T B) with the
        // same cut, and neither Q, U nor the columns x rows pinv(A) is formed (a tall A costs a QR and k reflections of B's columns)
        var (r, qtb) = HouseholderQr.DecomposeAppliedInPlace(columnsOfA, rows, columns, b, rhs);
        return Multiply(PseudoInverse(r, columns, columns, tolerance), columns, columns, qtb, rhs);
    }

    /// <summary>
    /// The pseudo-inverse of a symmetric n x n matrix (lower triangle read) from its eigendecomposition, over the eigenvalues with
    /// |lambda| &gt; n u max |lambda| (<c>torch.linalg.pinv(hermitian: true)</c>'s default rule).
    /// </summary>
    public static double[] SymmetricPseudoInverse(ReadOnlySpan<double> a, int n)
    {
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        double largest = 0;
        foreach (double v in values) largest = Math.Max(largest, Math.Abs(v));
        double cutoff = Eps * n * largest;
        var p = new double[n * n];
        var vt = Transpose(vectors, n, n);
        for (int k = 0; k < n; k++)
        {
            if (!(Math.Abs(values[k]) > cutoff)) continue;
            ReadOnlySpan<double> column = vt.AsSpan(k * n, n);
            for (int i = 0; i < n; i++)
            {
                Span<double> row = p.AsSpan(i * n, n);
                TensorPrimitives.MultiplyAdd(column, column[i] / values[k], row, row);
            }
        }
        return p;
    }

    /// <summary>Scales every column of the rows x columns A to unit length in place (a zero column stays zero).</summary>
    public static void NormalizeColumns(Span<double> a, int rows, int columns)
    {
        Span<double> norms = columns <= 256 ? stackalloc double[columns] : new double[columns];
        norms.Clear();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) norms[j] += a[i * columns + j] * a[i * columns + j];
        for (int j = 0; j < columns; j++) norms[j] = Math.Max(Math.Sqrt(norms[j]), 1e-300);
        // (a plain loop: TensorPrimitives.Divide of two spans would be one more generic SIMD body for the JIT at start-up)
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) a[i * columns + j] /= norms[j];
    }

    /// <summary>
    /// Scales <paramref name="a"/> in place by a power of 2 when its largest |entry| lies outside [sqrt(s_min / eps),
    /// sqrt(eps / s_min)] (about 1e-146 to 1e146; s_min the smallest normal number, LAPACK's rmin and rmax), as LAPACK's drivers do before a
    /// factorisation, so that squares and products of entries neither overflow nor underflow; returns the factor (1 when the
    /// matrix is left as it is). A power of 2 scales exactly: eigen- and singular values divided by it are those of the matrix.
    /// </summary>
    public static double ScaleIntoSafeRange(Span<double> a)
    {
        double largest = 0;
        foreach (double v in a) largest = Math.Max(largest, Math.Abs(v));
        if (largest == 0 || (largest >= s_safeLow && largest <= 1 / s_safeLow)) return 1;
        double factor = Math.ScaleB(1.0, -Math.ILogB(largest));          // largest * factor in [1, 2)
        TensorPrimitives.Multiply(a, factor, a);
        return factor;
    }

    /// <summary>A symmetrised: (A + A^T) / 2 of the n x n A.</summary>
    public static double[] Symmetrize(ReadOnlySpan<double> a, int n)
    {
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) s[i * n + j] = (a[i * n + j] + a[j * n + i]) * 0.5;
        return s;
    }
}
