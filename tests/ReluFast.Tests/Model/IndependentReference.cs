using ReluFast.Model;

namespace ReluFast.Tests.Model;

/// <summary>
/// Quantities of a network computed in the test from their definitions, without the library's code: what a report about a
/// learned network must equal (to the learner's accuracy) when the network is the teacher.
/// </summary>
internal static class IndependentReference
{
    /// <summary>sigma_min of the matrix whose rows are the unit w_i: sqrt of the least eigenvalue of G_ij = &lt;w_i, w_j&gt;
    /// (0 when m &gt; d).</summary>
    public static double SigmaMinW(ReluNetwork network) => SigmaMin(network, 1);

    /// <summary>
    /// sigma_min of the rows svec(w_i w_i^T) (unit w_i; svec is an isometry, so their Gram matrix is &lt;w_i, w_j&gt;^2), 0 when
    /// m &gt; d(d+1)/2.
    /// </summary>
    public static double SigmaMinFlattened(ReluNetwork network) => SigmaMin(network, 2);

    private static double SigmaMin(ReluNetwork network, int power)
    {
        int d = network.InputDim, m = network.Hidden;
        if (m > (power == 1 ? d : d * (d + 1) / 2)) return 0;
        var unit = new double[m][];
        for (int i = 0; i < m; i++)
        {
            double[] w = network.WeightsOf(i).ToArray();
            double norm = Math.Sqrt(w.Sum(v => v * v));
            unit[i] = w.Select(v => v / norm).ToArray();
        }
        var g = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) g[i * m + j] = Math.Pow(unit[i].Zip(unit[j], (p, q) => p * q).Sum(), power);
        return Math.Sqrt(Math.Max(0, Eigenvalues(g, m).Min()));
    }

    /// <summary>Eigenvalues of a symmetric n x n matrix by cyclic Jacobi rotations (converges quadratically; n is small here).</summary>
    public static double[] Eigenvalues(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            if (off < 1e-30) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                }
        }
        return Enumerable.Range(0, n).Select(i => a[i * n + i]).ToArray();
    }

    /// <summary>
    /// The k-th Hermite coefficient of relu(t + b) for k &gt;= 2 (ALGORITHM.md section 2): c_k(b) = (-1)^k He_{k-2}(b) phi(b), with
    /// the probabilists' He_{n+1}(b) = b He_n(b) - n He_{n-1}(b).
    /// </summary>
    public static double ReluCoefficient(int k, double b)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k));
        double previous = 1, current = b; // He_0, He_1
        if (k == 2) current = 1;
        for (int n = 1; n < k - 2; n++) (previous, current) = (current, b * current - n * previous);
        return (k % 2 == 0 ? 1 : -1) * current * Math.Exp(-b * b / 2) / Math.Sqrt(2 * Math.PI);
    }

    /// <summary>min over the neurons of |c_k(b_i)| (unit w_i), k = 2..5.</summary>
    public static double[] SmallestCoefficients(ReluNetwork network)
    {
        var unit = network.Normalized();
        return Enumerable.Range(2, 4).Select(k => Enumerable.Range(0, unit.Hidden).Min(i => Math.Abs(ReluCoefficient(k, unit.B[i])))).ToArray();
    }
}
