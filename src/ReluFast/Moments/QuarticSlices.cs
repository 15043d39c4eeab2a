using System.Numerics;
using System.Numerics.Tensors;

namespace ReluFast.Moments;

/// <summary>
/// The slices of the Hermite moments T_4 and T_5 on a family of symmetric matrices A_1..A_p (docs/algorithm.md section 11):
/// Q4[r, s] = &lt;T_4, A_r (x) A_s&gt; and Q5_l[r, s] = &lt;T_5, A_r (x) A_s (x) u_l&gt;, assembled from the weighted Gram
/// moments of the features f = [x'A_1x, ..., x'A_px, x] (dimension p + d) with the weights y~ and y~ &lt;u_l, x&gt;
/// (y~: the response minus a polynomial of degree &lt;= 2, so both moments stay unbiased).
/// With A_r = smat(e_r) (the symmetric coordinates) Q4 is the flattened T_4 = sum_i a_i c_4(b_i) v_i v_i^T,
/// v_i = svec(w_i w_i^T); with A_r = smat(P e_r) it is P^T T_4 P.
/// </summary>
internal sealed class QuarticSlices
{
    private QuarticSlices(int p, double[] fourth, double[][] fifth)
    {
        Size = p;
        Fourth = fourth;
        Fifth = fifth;
    }

    /// <summary>Number p of matrices A_r (the slices are p x p).</summary>
    public int Size { get; }

    /// <summary>Q4, p x p row-major.</summary>
    public double[] Fourth { get; }

    /// <summary>Q5_l, p x p row-major, one per direction u_l.</summary>
    public double[][] Fifth { get; }

    /// <summary>All slices in one list: Q4 first, then Q5_1..Q5_L.</summary>
    public IEnumerable<double[]> All => Fifth.Prepend(Fourth);

    /// <summary>(wx x + wy y) / (wx + wy).</summary>
    internal static QuarticSlices Combine(QuarticSlices x, double wx, QuarticSlices y, double wy)
    {
        double[] Mix(double[] a, double[] b)
        {
            var r = new double[a.Length];
            for (int i = 0; i < r.Length; i++) r[i] = (wx * a[i] + wy * b[i]) / (wx + wy);
            return r;
        }
        return new QuarticSlices(x.Size, Mix(x.Fourth, y.Fourth), x.Fifth.Select((f, l) => Mix(f, y.Fifth[l])).ToArray());
    }

    /// <summary>(this - other) / 2: the split-half noise estimate of the average of the two.</summary>
    internal static QuarticSlices HalfDifference(QuarticSlices x, QuarticSlices y) =>
        new(x.Size, Diff(x.Fourth, y.Fourth), x.Fifth.Select((f, l) => Diff(f, y.Fifth[l])).ToArray());

    private static double[] Diff(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (int i = 0; i < r.Length; i++) r[i] = 0.5 * (a[i] - b[i]);
        return r;
    }

    /// <summary>
    /// Assembles the slices from an accumulator over f = [psi (p); x (d)] with weights [y~, y~ &lt;u_1, x&gt;, ..., y~ &lt;u_L, x&gt;].
    /// </summary>
    /// <param name="moments">The accumulator: dimension p + d, weight count 1 + L.</param>
    /// <param name="basis">The p symmetric d x d matrices A_r (row-major).</param>
    /// <param name="directions">u_1..u_L as the columns of a d x L row-major matrix.</param>
    /// <param name="d">Input dimension.</param>
    public static QuarticSlices Assemble(IWeightedGramSums moments, IReadOnlyList<double[]> basis, ReadOnlySpan<double> directions, int d)
    {
        ArgumentNullException.ThrowIfNull(moments);
        ArgumentNullException.ThrowIfNull(basis);
        int p = basis.Count, f = p + d, weights = moments.WeightCount, l = weights - 1;
        if (moments.Dimension != f)
            throw new ArgumentException($"The accumulator has dimension {moments.Dimension}, not p + d = {f}.", nameof(moments));
        if (directions.Length != d * l) throw new ArgumentException($"Expected {l} directions of dimension {d}.", nameof(directions));
        double n = moments.Count;
        if (n <= 0) throw new ArgumentException("The accumulator is empty.", nameof(moments));

        var gram = new double[weights][];
        var first = new double[weights][];
        var mass = new double[weights];
        for (int w = 0; w < weights; w++)
        {
            gram[w] = new double[f * f];
            first[w] = new double[f];
            moments.CopyGram(w, gram[w]);
            moments.CopyFirstMoment(w, first[w]);
            TensorPrimitives.Divide(gram[w], n, gram[w]);
            TensorPrimitives.Divide(first[w], n, first[w]);
            mass[w] = moments.WeightSum(w) / n;
        }

        var trace = new double[p];
        for (int r = 0; r < p; r++) trace[r] = HermiteContractions.Trace(basis[r], d);
        // tr(A_r A_s) for all pairs.
        var traceProduct = new double[p * p];
        for (int r = 0; r < p; r++)
            for (int s = r; s < p; s++)
                traceProduct[r * p + s] = traceProduct[s * p + r] = TensorPrimitives.Dot(basis[r], basis[s]); // symmetric: tr(AB) = <A, B>_F

        // Weight 0 (y~): Q4, and the pieces of Q5 that come from it.
        double t0 = mass[0];
        double[] s0 = XBlock(gram[0], p, d);
        double[] t1 = first[0].AsSpan(p, d).ToArray();
        var q4 = new double[p * p];
        double[][] basisTimesS0 = basis.Select(a => HermiteContractions.Product(a, s0, d)).ToArray();
        for (int r = 0; r < p; r++)
            for (int s = r; s < p; s++)
            {
                double value = gram[0][r * f + s]
                    - (trace[r] * first[0][s] + trace[s] * first[0][r]
                        + 4 * TensorPrimitives.Dot(basis[r], basisTimesS0[s]))  // tr(A_r A_s S) = <A_r, A_s S>_F
                    + t0 * (trace[r] * trace[s] + 2 * traceProduct[r * p + s]);
                q4[r * p + s] = q4[s * p + r] = value;
            }

        // C[s, k] = E[y~ psi_s x_k] (cross block of weight 0).
        var fifth = new double[l][];
        var u = new double[d];
        for (int li = 0; li < l; li++)
        {
            for (int k = 0; k < d; k++) u[k] = directions[k * l + li];
            int w = 1 + li;
            double[] g = gram[w], m1 = first[w];
            double[] sl = XBlock(g, p, d);
            double[][] basisTimesSl = basis.Select(a => HermiteContractions.Product(a, sl, d)).ToArray();
            double t1u = TensorPrimitives.Dot(t1, u);
            // A_r u and E[y~ (u'A_r x) psi_s] = sum_k (A_r u)_k C[s, k].
            var au = basis.Select(a => HermiteContractions.Times(a, u, d)).ToArray();
            var crossU = new double[p * p]; // [r, s] = E[y~ (u'A_r x) psi_s]
            for (int r = 0; r < p; r++)
                for (int s = 0; s < p; s++)
                {
                    double c = 0;
                    for (int k = 0; k < d; k++) c += au[r][k] * gram[0][s * f + p + k];
                    crossU[r * p + s] = c;
                }
            var t1a = basis.Select(a => HermiteContractions.Times(a, t1, d)).ToArray(); // A_r t1
            var q5 = new double[p * p];
            for (int r = 0; r < p; r++)
                for (int s = r; s < p; s++)
                {
                    // 4 t1'(A_r A_s + A_s A_r) u = 4 [(A_r t1)'(A_s u) + (A_s t1)'(A_r u)].
                    double value = g[r * f + s]
                        - (trace[r] * m1[s] + trace[s] * m1[r] + 4 * TensorPrimitives.Dot(basis[r], basisTimesSl[s]))
                        - 2 * crossU[r * p + s] - 2 * crossU[s * p + r]
                        + (trace[r] * trace[s] + 2 * traceProduct[r * p + s]) * t1u
                        + 4 * (TensorPrimitives.Dot(t1a[r], au[s]) + TensorPrimitives.Dot(t1a[s], au[r]))
                        + 2 * trace[s] * TensorPrimitives.Dot(t1, au[r]) + 2 * trace[r] * TensorPrimitives.Dot(t1, au[s]);
                    q5[r * p + s] = q5[s * p + r] = value;
                }
            fifth[li] = q5;
        }
        return new QuarticSlices(p, q4, fifth);
    }

    /// <summary>The symmetric coordinate basis A_r = smat(e_r), r = 1..D.</summary>
    public static double[][] CoordinateBasis(int d)
    {
        int dim = SymmetricCoordinates.Dimension(d);
        var e = new double[dim];
        var result = new double[dim][];
        for (int r = 0; r < dim; r++)
        {
            e[r] = 1;
            result[r] = SymmetricCoordinates.Matrix(e, d);
            e[r] = 0;
        }
        return result;
    }

    /// <summary>A_r = smat(P e_r) for P (D x p row-major).</summary>
    public static double[][] ProjectedBasis(ReadOnlySpan<double> p, int d, int columns)
    {
        int dim = SymmetricCoordinates.Dimension(d);
        if (p.Length != dim * columns) throw new ArgumentException($"P must be {dim} x {columns}.", nameof(p));
        var result = new double[columns][];
        var column = new double[dim];
        for (int r = 0; r < columns; r++)
        {
            for (int k = 0; k < dim; k++) column[k] = p[k * columns + r];
            result[r] = SymmetricCoordinates.Matrix(column, d);
        }
        return result;
    }

    private static double[] XBlock(double[] gram, int p, int d)
    {
        int f = p + d;
        var s = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) s[i * d + j] = gram[(p + i) * f + p + j];
        return s;
    }
}
