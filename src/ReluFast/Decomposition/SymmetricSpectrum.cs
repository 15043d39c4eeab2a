using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>
/// The eigen-decomposition of a symmetric matrix with eigenpairs ordered by decreasing |eigenvalue|,
/// as the learner needs it for T_2 (docs/algorithm.md section 5).
/// </summary>
internal sealed class SymmetricSpectrum
{
    private readonly double[] _vectors;

    private SymmetricSpectrum(int dimension, double[] values, double[] vectors)
    {
        Dimension = dimension;
        Values = values;
        _vectors = vectors;
    }

    /// <summary>Matrix size n.</summary>
    public int Dimension { get; }

    /// <summary>Eigenvalues sorted by decreasing absolute value.</summary>
    public IReadOnlyList<double> Values { get; }

    /// <summary>Eigenvector k (unit length), matching <see cref="Values"/>[k].</summary>
    public ReadOnlySpan<double> Vector(int k) => _vectors.AsSpan(k * Dimension, Dimension);

    /// <summary>The first <paramref name="count"/> eigenvectors as the columns of an n x count row-major matrix.</summary>
    public double[] LeadingVectors(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Dimension);
        var u = new double[Dimension * count];
        for (int k = 0; k < count; k++)
            for (int i = 0; i < Dimension; i++)
                u[i * count + k] = _vectors[k * Dimension + i];
        return u;
    }

    /// <summary>
    /// Decomposes a symmetric n x n matrix (row-major; it is symmetrised first): in managed code up to
    /// <see cref="DenseBackend.ManagedSymmetricOrder"/>, with libtorch's eigh above.
    /// </summary>
    /// <exception cref="ArgumentException">The matrix is not n x n or holds NaN or infinity.</exception>
    public static SymmetricSpectrum Compute(ReadOnlySpan<double> matrix, int n)
    {
        if (matrix.Length != n * n) throw new ArgumentException($"Expected an {n} x {n} matrix, got {matrix.Length} values.", nameof(matrix));
        RequireFinite(matrix);
        var (v, q) = DenseBackend.IsManagedSymmetric(n) ? Managed(matrix, n) : Torch(matrix, n); // column k of q is eigenvector k
        int[] order = Enumerable.Range(0, n).OrderByDescending(k => Math.Abs(v[k])).ToArray();
        var sortedValues = new double[n];
        var sortedVectors = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            int k = order[r];
            sortedValues[r] = v[k];
            for (int i = 0; i < n; i++) sortedVectors[r * n + i] = q[i * n + k];
        }
        return new SymmetricSpectrum(n, sortedValues, sortedVectors);
    }

    /// <summary>
    /// The largest eigenvalue of a symmetric n x n matrix (row-major; it is symmetrised first), without eigenvectors: in managed code up
    /// to <see cref="DenseBackend.ManagedSymmetricOrder"/>, with libtorch's eigvalsh above.
    /// </summary>
    /// <exception cref="ArgumentException">The matrix is not n x n, is empty or holds NaN or infinity.</exception>
    public static double LargestValue(ReadOnlySpan<double> matrix, int n)
    {
        if (n <= 0 || matrix.Length != n * n) throw new ArgumentException($"Expected a non-empty {n} x {n} matrix, got {matrix.Length} values.",
            nameof(matrix));
        RequireFinite(matrix);
        if (!DenseBackend.IsManagedSymmetric(n)) return TorchValues(matrix, n).Max();
        return SymmetricEigen.Values(DenseMatrix.Symmetrize(matrix, n), n)[^1];
    }

    private static void RequireFinite(ReadOnlySpan<double> matrix)
    {
        foreach (double entry in matrix)
            if (!double.IsFinite(entry))
                throw new ArgumentException("The matrix holds NaN or infinity: the moment estimate is broken (check the samples for " +
                    "non-finite values).", nameof(matrix));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double[] TorchValues(ReadOnlySpan<double> matrix, int n)
    {
        using var scope = NewDisposeScope();
        var m = TorchTensors.Matrix(matrix, n, n);
        return TorchTensors.ToArray(linalg.eigvalsh(TorchTensors.Symmetrized(m)));
    }

    /// <summary>Ascending eigenvalues and eigenvectors (columns) of the symmetrised matrix in managed code.</summary>
    internal static (double[] Values, double[] Vectors) Managed(ReadOnlySpan<double> matrix, int n) =>
        SymmetricEigen.Decompose(DenseMatrix.Symmetrize(matrix, n), n);

    /// <summary>Ascending eigenvalues and eigenvectors (columns) of the symmetrised matrix by libtorch's eigh.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static (double[] Values, double[] Vectors) Torch(ReadOnlySpan<double> matrix, int n)
    {
        using var scope = NewDisposeScope();
        var m = TorchTensors.Matrix(matrix, n, n);
        m = TorchTensors.Symmetrized(m);
        var (values, vectors) = linalg.eigh(m);
        return (TorchTensors.ToArray(values), TorchTensors.ToArray(vectors));
    }
}
