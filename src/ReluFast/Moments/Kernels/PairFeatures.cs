namespace ReluFast.Moments.Kernels;

/// <summary>
/// The pairs i &lt;= j &lt; m of the degree-2 monomials the moment layouts are built from (the projected 3-tensor's columns
/// z_j z_k, the span pass's rows c x_p x_q).
/// </summary>
internal static class PairFeatures
{
    /// <summary>Number of pairs i &lt;= j &lt; m.</summary>
    public static int Count(int m) => m * (m + 1) / 2;
}
