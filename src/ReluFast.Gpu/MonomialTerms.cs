namespace ReluFast.Gpu;

/// <summary>
/// The monomials of a flat state, in its order, as index triples (i, j, l) with -1 for "no factor": a
/// <see cref="PairProductSession{T}"/> picks each from its product of matrices.
/// </summary>
internal static class MonomialTerms
{
    /// <summary>
    /// WeightedGramAccumulator: sum c, sum c x_i (i &lt; d), sum c x_i x_j for i = 0..d-1, j = i..d-1, one triple at a time (a
    /// session walks them without storing them).
    /// </summary>
    public static IEnumerable<(int I, int J, int K)> GramTerms(int d)
    {
        yield return (-1, -1, -1);
        for (int i = 0; i < d; i++) yield return (i, -1, -1);
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) yield return (i, j, -1);
    }

    /// <summary>
    /// ProjectedTensorAccumulator: sum c, sum c z (m), sum c z_i z_j for j = 0..m-1, i = 0..j, then
    /// sum c z_i z_j z_k for j = 0..m-1, i = 0..j, k = j..m-1.
    /// </summary>
    public static IEnumerable<(int I, int J, int K)> TensorTerms(int m)
    {
        yield return (-1, -1, -1);
        for (int i = 0; i < m; i++) yield return (i, -1, -1);
        for (int j = 0; j < m; j++)
            for (int i = 0; i <= j; i++) yield return (i, j, -1);
        for (int j = 0; j < m; j++)
            for (int i = 0; i <= j; i++)
                for (int k = j; k < m; k++) yield return (i, j, k);
    }
}
