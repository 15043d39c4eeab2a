using System.Numerics.Tensors;

namespace ReluFast.Decomposition;

/// <summary>
/// The thin QR factorisation A = Q R of a real rows x columns matrix by Householder reflections in managed code (LAPACK's
/// geqr2 and org2r, with LAPACK's sign convention: R[j, j] = -sign(A'[j, j]) |x|, so R agrees with <c>torch.linalg.qr</c> to
/// round-off). Backward stable: ||A - Q R|| and ||Q^T Q - I|| are a modest multiple of rows u ||A|| and rows u. A matrix whose
/// largest entry lies outside about 1e-146 .. 1e146 is factored scaled by a power of 2 (<see cref="DenseMatrix.ScaleIntoSafeRange"/>),
/// so that the column norms neither overflow nor underflow.
/// </summary>
internal static class HouseholderQr
{
    /// <summary>Factors the row-major <paramref name="a"/>.</summary>
    /// <returns>Q (rows x k, orthonormal columns) and R (k x columns, upper triangular), both row-major, k = min(rows, columns).</returns>
    /// <exception cref="ArgumentException">The shape and the number of values disagree.</exception>
    public static (double[] Q, double[] R) Decompose(ReadOnlySpan<double> a, int rows, int columns)
    {
        var (w, tau) = Factor(a, rows, columns);
        int k = tau.Length;
        // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of I, last reflector first.
        var q = new double[k * rows]; // column-major
        for (int j = 0; j < k; j++) q[j * rows + j] = 1;
        for (int j = k - 1; j >= 0; j--)
        {
            if (tau[j] == 0) continue;
            ReadOnlySpan<double> v = w.AsSpan(j * rows + j, rows - j);
            for (int c = j; c < k; c++) Reflect(v, tau[j], q.AsSpan(c * rows + j, rows - j));
        }
        var qRows = new double[rows * k];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < k; j++) qRows[i * k + j] = q[j * rows + i];
        return (qRows, UpperTriangle(w, rows, columns, k));
    }

    /// <summary>
    /// R (k x columns, upper triangular, row-major) and Q^T B (k x rhs, row-major) for the rows x columns A = Q R and the rows x rhs
    /// B, without forming Q: the reflectors are applied to the columns of B in turn (LAPACK's ormqr with trans = T). A is given
    /// column by column (A^T row-major: column j at [j rows, (j + 1) rows)) and is overwritten by the reflectors.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes and the numbers of values disagree.</exception>
    public static (double[] R, double[] QtB) DecomposeAppliedInPlace(Span<double> columnsOfA, int rows, int columns, ReadOnlySpan<double> b,
        int rhs)
    {
        if (rows < 0 || columns < 0 || columnsOfA.Length != rows * columns)
            throw new ArgumentException($"Expected a {rows} x {columns} matrix, got {columnsOfA.Length} values.", nameof(columnsOfA));
        if (rhs < 0 || b.Length != rows * rhs) throw new ArgumentException($"Expected B with {rows} rows, got {b.Length} values for {rhs} columns.");
        var tau = FactorInPlace(columnsOfA, rows, columns);
        int k = tau.Length;
        var column = new double[rows];
        var qtb = new double[k * rhs];
        for (int c = 0; c < rhs; c++)
        {
            for (int i = 0; i < rows; i++) column[i] = b[i * rhs + c];
            // Q^T = H_(k-1) ... H_1 H_0: the first reflector first
            for (int j = 0; j < k; j++)
                if (tau[j] != 0) Reflect(columnsOfA.Slice(j * rows + j, rows - j), tau[j], column.AsSpan(j));
            for (int i = 0; i < k; i++) qtb[i * rhs + c] = column[i];
        }
        return (UpperTriangle(columnsOfA, rows, columns, k), qtb);
    }

    /// <summary>
    /// The reflectors (LAPACK's geqr2): a column-major copy of A whose column j holds R[0..j, j] on and above the diagonal and
    /// reflector j below it, and the k factors tau.
    /// </summary>
    private static (double[] W, double[] Tau) Factor(ReadOnlySpan<double> a, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || a.Length != rows * columns)
            throw new ArgumentException($"Expected a {rows} x {columns} matrix, got {a.Length} values.", nameof(a));
        var w = DenseMatrix.Transpose(a, rows, columns); // column-major: column j is w[j * rows .. (j + 1) * rows)
        return (w, FactorInPlace(w, rows, columns));
    }

    /// <summary><see cref="Factor"/> on A given column-major in <paramref name="w"/>, which it overwrites; returns tau.</summary>
    private static double[] FactorInPlace(Span<double> w, int rows, int columns)
    {
        int k = Math.Min(rows, columns);
        // the column norms square the entries: scaled by a power of 2 into the safe range, Q is that of A, R is f R(A) exactly
        double factor = DenseMatrix.ScaleIntoSafeRange(w);
        var tau = new double[k];
        for (int j = 0; j < k; j++)
        {
            Span<double> x = w.Slice(j * rows + j, rows - j);
            tau[j] = Reflector(x);
            if (tau[j] == 0) continue;
            for (int c = j + 1; c < columns; c++) Reflect(x, tau[j], w.Slice(c * rows + j, rows - j));
        }
        if (factor != 1)
            for (int j = 0; j < columns; j++)
                for (int i = 0; i <= Math.Min(j, k - 1); i++) w[j * rows + i] /= factor; // R only: the reflectors below are scale-free
        return tau;
    }

    /// <summary>R (k x columns, row-major) from the factored work array.</summary>
    private static double[] UpperTriangle(ReadOnlySpan<double> w, int rows, int columns, int k)
    {
        var r = new double[k * columns];
        for (int i = 0; i < k; i++)
            for (int j = i; j < columns; j++) r[i * columns + j] = w[j * rows + i];
        return r;
    }

    /// <summary>
    /// LAPACK's larfg: turns x into (beta, v[1..]) with (I - tau v v^T) x = beta e_1, v[0] = 1 implied; returns tau (0 when x[1..]
    /// is already zero).
    /// </summary>
    private static double Reflector(Span<double> x)
    {
        if (x.Length <= 1) return 0;
        double alpha = x[0];
        double tail = TensorPrimitives.Norm<double>(x[1..]);
        if (tail == 0) return 0;
        double beta = -Math.CopySign(double.Hypot(alpha, tail), alpha);
        double tau = (beta - alpha) / beta;
        double scale = 1 / (alpha - beta);
        for (int i = 1; i < x.Length; i++) x[i] *= scale; // (a loop: one generic SIMD body fewer for the JIT at start-up)
        x[0] = beta;
        return tau;
    }

    /// <summary>y &lt;- (I - tau v v^T) y with v = (1, reflector[1..]).</summary>
    private static void Reflect(ReadOnlySpan<double> reflector, double tau, Span<double> y)
    {
        ReadOnlySpan<double> tail = reflector[1..];
        double s = tau * (y[0] + TensorPrimitives.Dot(tail, y[1..]));
        y[0] -= s;
        TensorPrimitives.MultiplyAdd(tail, -s, y[1..], y[1..]);
    }
}
