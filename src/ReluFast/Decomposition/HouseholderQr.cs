using System.Numerics.Tensors;

namespace ReluFast.Decomposition;

/// <summary>
/// The thin QR factorisation A = Q R of a real rows x columns matrix by Householder reflections in managed code (LAPACK's
/// geqr2 and org2r, with LAPACK's sign convention: R[j, j] = -sign(A'[j, j]) |x|, so R agrees with <c>torch.linalg.qr</c> to
/// round-off). Backward stable: ||A - Q R|| and ||Q^T Q - I|| are a modest multiple of rows u ||A|| and rows u. The column norms
/// are not guarded against overflow: entries beyond about 1e150 need scaling first (<see cref="DenseMatrix.ScaleIntoSafeRange"/>,
/// which <see cref="JacobiSvd"/> applies).
/// </summary>
internal static class HouseholderQr
{
    /// <summary>Factors the row-major <paramref name="a"/>.</summary>
    /// <returns>Q (rows x k, orthonormal columns) and R (k x columns, upper triangular), both row-major, k = min(rows, columns).</returns>
    /// <exception cref="ArgumentException">The shape and the number of values disagree.</exception>
    public static (double[] Q, double[] R) Decompose(ReadOnlySpan<double> a, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || a.Length != rows * columns)
            throw new ArgumentException($"Expected a {rows} x {columns} matrix, got {a.Length} values.", nameof(a));
        int k = Math.Min(rows, columns);
        // Column-major work array: column j is w[j * rows .. (j + 1) * rows).
        var w = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) w[j * rows + i] = a[i * columns + j];
        var tau = new double[k];
        for (int j = 0; j < k; j++)
        {
            Span<double> x = w.AsSpan(j * rows + j, rows - j);
            tau[j] = Reflector(x);
            if (tau[j] == 0) continue;
            for (int c = j + 1; c < columns; c++) Reflect(x, tau[j], w.AsSpan(c * rows + j, rows - j));
        }
        var r = new double[k * columns];
        for (int i = 0; i < k; i++)
            for (int j = i; j < columns; j++) r[i * columns + j] = w[j * rows + i];
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
        return (qRows, r);
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
