using TorchSharp;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>
/// Copies between row-major double arrays and float64 libtorch tensors on the CPU, and the one least-squares solve of the
/// decompositions.
/// </summary>
/// <remarks>
/// Two things here keep a decomposition, and so a learning run, bit-for-bit reproducible (issue 19, item 10):
/// <list type="bullet">
/// <item>Every tensor made here lives in libtorch's own (64-byte aligned) memory. TorchSharp's <c>tensor(double[])</c> pins
/// the managed array and computes on it where it lies, and MKL's kernels round differently for differently aligned data:
/// the same 16 x 16 matrix-vector product from pinned arrays gave two different results over 40 calls.</item>
/// <item>Least squares never goes through <c>linalg.lstsq</c>: on the CPU its default driver (gelsy, the only one TorchSharp
/// 0.107 reaches) is handed an uninitialised pivot array (jpvt), which LAPACK reads on entry ("column i is moved to the
/// front"), so the column order of the QR, and the last bits of the solution, changed from call to call (30 identical calls
/// gave 3 to 5 different answers; every pencil decomposition differed).</item>
/// </list>
/// </remarks>
internal static class TorchTensors
{
    public static Tensor Matrix(ReadOnlySpan<double> values, int rows, int columns)
    {
        if (values.Length != rows * columns) throw new ArgumentException($"Expected {rows} x {columns} values, got {values.Length}.");
        return Owned(values, [rows, columns]);
    }

    public static Tensor Vector(ReadOnlySpan<double> values) => Owned(values, [values.Length]);

    public static double[] ToArray(Tensor t) => t.to_type(float64).contiguous().cpu().data<double>().ToArray();

    /// <summary>
    /// The minimum-norm least-squares solution X of A X = B (A m x n, B m x k): pinv(A) B, the pseudo-inverse V diag(1/s) U^T
    /// from libtorch's SVD over the singular values above s_max * eps * max(m, n) (the rank cut of lstsq's default).
    /// </summary>
    public static Tensor LeastSquares(Tensor a, Tensor b)
    {
        if (a.dim() != 2 || b.dim() != 2 || a.shape[0] != b.shape[0])
            throw new ArgumentException($"Least squares needs A (m x n) and B (m x k), got [{string.Join(", ", a.shape)}] and " +
                $"[{string.Join(", ", b.shape)}].");
        return linalg.pinv(a, rtol: Eps * Math.Max(a.shape[0], a.shape[1])).matmul(b);
    }

    /// <summary><paramref name="a"/> + <paramref name="b"/>, with alpha = 1 held as in <see cref="Scaled"/>: TorchSharp's operator + is
    /// add(b, 1), whose temporary Scalar nothing keeps alive during the native call.</summary>
    public static Tensor Sum(Tensor a, Tensor b)
    {
        using var one = 1.0.ToScalar();
        return a.add(b, one);
    }

    /// <summary><paramref name="target"/> += <paramref name="b"/> in place, alpha = 1 held as in <see cref="Sum"/> (add_(b) is add_(b, 1)).</summary>
    public static Tensor AddInPlace(Tensor target, Tensor b)
    {
        using var one = 1.0.ToScalar();
        return target.add_(b, one);
    }

    /// <summary>(t + t^T) / 2 over the first two dimensions: a symmetrised matrix, or every slice of an n x n x s stack symmetrised.</summary>
    public static Tensor Symmetrized(Tensor t) => Scaled(Sum(t, t.transpose(0, 1)), 0.5);

    /// <summary>a o a elementwise: TorchSharp's square() is pow(2), with a temporary Scalar exponent.</summary>
    public static Tensor Square(Tensor a) => a.mul(a);

    /// <summary><paramref name="t"/> times <paramref name="factor"/>, the factor held as a libtorch Scalar until the call returns.</summary>
    /// <remarks>
    /// Every tensor-by-number operation goes through here or <see cref="ClampMin"/>, and every sum and square of tensors through
    /// <see cref="Sum"/> and <see cref="Square"/> (tensor - tensor passes no Scalar), never through TorchSharp's operator +,
    /// square() or implicit conversion of a double: TorchSharp 0.107 hands the temporary Scalar's handle to libtorch and nothing keeps the Scalar
    /// alive during the native call, so a collection on another thread can finalize it mid-call ("Unknown scalar type" from
    /// linalg_vector_norm, seen with the candidates' decompositions in parallel under load).
    /// </remarks>
    public static Tensor Scaled(Tensor t, double factor)
    {
        using var scalar = factor.ToScalar();
        return t.mul(scalar);
    }

    /// <summary>max(<paramref name="t"/>, <paramref name="floor"/>) elementwise, the floor held as in <see cref="Scaled"/>.</summary>
    public static Tensor ClampMin(Tensor t, double floor)
    {
        using var scalar = floor.ToScalar();
        return t.clamp_min(scalar);
    }

    private const double Eps = 2.220446049250313e-16; // machine epsilon of double (2^-52)

    private static Tensor Owned(ReadOnlySpan<double> values, long[] shape)
    {
        var t = empty(shape, dtype: float64);
        if (values.Length > 0) t.data<double>().CopyFrom(values.ToArray());
        return t;
    }
}
