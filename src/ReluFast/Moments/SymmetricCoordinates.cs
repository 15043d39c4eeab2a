using System.Numerics;
using System.Numerics.Tensors;

namespace ReluFast.Moments;

/// <summary>
/// Symmetric coordinates of d x d symmetric matrices (docs/algorithm.md section 11.1): svec(A) has D = d(d+1)/2 entries,
/// A_ii for the diagonal and sqrt(2) A_ij (i &lt; j) off it, row by row over the upper triangle, so that
/// &lt;svec(A), svec(B)&gt; = tr(AB) and &lt;svec(x x^T), svec(A)&gt; = x^T A x.
/// </summary>
internal static class SymmetricCoordinates
{
    private static readonly double Sqrt2 = Math.Sqrt(2);

    /// <summary>D = d(d+1)/2.</summary>
    public static int Dimension(int d) => d * (d + 1) / 2;

    /// <summary>svec of a symmetric d x d row-major matrix (its upper triangle is read).</summary>
    public static double[] Vectorize(ReadOnlySpan<double> matrix, int d)
    {
        if (matrix.Length != d * d) throw new ArgumentException($"Expected a {d} x {d} matrix.", nameof(matrix));
        var v = new double[Dimension(d)];
        int p = 0;
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) v[p++] = i == j ? matrix[i * d + i] : Sqrt2 * matrix[i * d + j];
        return v;
    }

    /// <summary>smat: the symmetric d x d row-major matrix of a vector of D symmetric coordinates.</summary>
    public static double[] Matrix(ReadOnlySpan<double> svec, int d)
    {
        if (svec.Length != Dimension(d)) throw new ArgumentException($"Expected {Dimension(d)} symmetric coordinates for d = {d}.", nameof(svec));
        var a = new double[d * d];
        int p = 0;
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                double value = i == j ? svec[p] : svec[p] / Sqrt2;
                a[i * d + j] = a[j * d + i] = value;
                p++;
            }
        return a;
    }

    /// <summary>
    /// Features phi_j = svec(x_j x_j^T) of a block: x is n x d row-major; phi_j is written to
    /// destination[j * stride, j * stride + D). Does not allocate.
    /// </summary>
    public static void Features<T>(ReadOnlySpan<T> x, int d, Span<T> destination, int stride) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = x.Length / d, dim = Dimension(d);
        if (stride < dim) throw new ArgumentException($"The stride {stride} is below D = {dim}.", nameof(stride));
        if ((long)(n - 1) * stride + dim > destination.Length && n > 0)
            throw new ArgumentException("The destination is too short.", nameof(destination));
        T root2 = T.CreateTruncating(Sqrt2);
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<T> xj = x.Slice(j * d, d);
            Span<T> row = destination.Slice(j * stride, dim);
            int p = 0;
            for (int i = 0; i < d; i++)
            {
                T xi = xj[i];
                row[p] = xi * xi;
                TensorPrimitives.Multiply(xj.Slice(i + 1), xi * root2, row.Slice(p + 1, d - i - 1));
                p += d - i;
            }
        }
    }
}
