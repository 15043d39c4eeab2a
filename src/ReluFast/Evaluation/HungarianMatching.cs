namespace ReluFast.Evaluation;

/// <summary>Optimal assignment (minimum total cost) by the Hungarian algorithm with potentials, O(r^2 c).</summary>
internal static class HungarianMatching
{
    /// <summary>
    /// The largest r^2 c (rows squared times columns, the algorithm's work) that <see cref="NetworkComparison"/> solves
    /// exactly; above it neurons are matched greedily. About a second of work.
    /// </summary>
    public const long MaxExactWork = 250_000_000;

    /// <summary>
    /// For a rows x columns cost matrix (row-major, rows &lt;= columns) returns, for each row, the column
    /// assigned to it so that the total cost is minimal and no column is used twice.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is inconsistent, rows &gt; columns, or a cost is NaN.</exception>
    public static int[] Solve(ReadOnlySpan<double> cost, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || cost.Length != (long)rows * columns)
            throw new ArgumentException($"The cost matrix has {cost.Length} entries, not {rows} x {columns}.", nameof(cost));
        if (rows > columns) throw new ArgumentException($"Cannot assign {rows} rows to only {columns} columns.", nameof(rows));
        foreach (double c in cost)
            if (double.IsNaN(c)) throw new ArgumentException("The cost matrix contains NaN.", nameof(cost));

        // 1-based arrays of the classical e-maxx formulation: u, v are potentials, p[j] the row matched to column j.
        var u = new double[rows + 1];
        var v = new double[columns + 1];
        var p = new int[columns + 1];
        var way = new int[columns + 1];
        var minv = new double[columns + 1];
        var used = new bool[columns + 1];
        for (int i = 1; i <= rows; i++)
        {
            p[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= columns; j++)
                {
                    if (used[j]) continue;
                    double current = cost[(i0 - 1) * columns + (j - 1)] - u[i0] - v[j];
                    if (current < minv[j]) { minv[j] = current; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (int j = 0; j <= columns; j++)
                {
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            } while (p[j0] != 0);
            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var assignment = new int[rows];
        for (int j = 1; j <= columns; j++)
            if (p[j] != 0) assignment[p[j] - 1] = j - 1;
        return assignment;
    }
}
