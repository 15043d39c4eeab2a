using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using ReluFast.Sampling;

namespace ReluFast.Decomposition;

/// <summary>One rank-one direction found in a subspace.</summary>
/// <param name="Direction">The unit vector w (d entries).</param>
/// <param name="Fit">||Pi svec(w w^T)||^2 in [0, 1]: 1 when w w^T lies in the subspace.</param>
/// <param name="Support">How many starts converged to it.</param>
internal sealed record RankOnePoint(double[] Direction, double Fit, int Support);

/// <summary>
/// Finds the unit w with w w^T in (or nearest to) a subspace of the symmetric matrices (docs/algorithm.md section 11.3): when
/// span{svec(w_i w_i^T)} has dimension m &lt; D - d, its only rank-one members are the w_i w_i^T, so the maximisers of
/// f(w) = ||Pi svec(w w^T)||^2 (Pi the projector onto the subspace) are the neurons' directions, whatever the pencil's
/// conditioning. Alternating projections (X = smat(Pi svec(w w^T)), w = top eigenvector of X) from the given seeds and
/// from random starts; converged points are merged when |&lt;w, w'&gt;| is near 1.
/// </summary>
internal static class RankOneSubspace
{
    /// <summary>Searches the subspace spanned by the orthonormal columns of <paramref name="basis"/> (D x m row-major, D = d(d+1)/2).</summary>
    /// <param name="basis">Orthonormal basis P of the subspace.</param>
    /// <param name="d">Input dimension.</param>
    /// <param name="m">Number of columns of P.</param>
    /// <param name="seeds">Starting directions (each d entries), e.g. from a pencil decomposition.</param>
    /// <param name="randomStarts">Additional random starts.</param>
    /// <param name="seed">Seed of the random starts.</param>
    /// <param name="iterations">Maximum alternating-projection steps per start.</param>
    /// <param name="threads">Starts run at once (each start is independent; the merge takes them in order, so the result does
    /// not depend on this).</param>
    /// <param name="cancellationToken">Checked between starts.</param>
    /// <returns>Distinct points, best fit first.</returns>
    public static IReadOnlyList<RankOnePoint> Search(ReadOnlySpan<double> basis, int d, int m, IEnumerable<double[]> seeds, int randomStarts,
        ulong seed = 1, int iterations = 300, int threads = 1, CancellationToken cancellationToken = default)
    {
        int dim = SymmetricCoordinates.Dimension(d);
        if (basis.Length != dim * m) throw new ArgumentException($"The basis must be {dim} x {m}.", nameof(basis));
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var p = basis.ToArray();
        var starts = seeds.Select(s => s.Length == d ? (double[])s.Clone()
            : throw new ArgumentException($"Every seed needs {d} entries.", nameof(seeds))).ToList();
        var random = new CounterGaussian(seed, key: 0x2A1F);
        for (int r = 0; r < randomStarts; r++)
        {
            var w = new double[d];
            random.Fill((long)r * d, w);
            starts.Add(w);
        }
        var converged = new (double[] W, double Fit)[starts.Count];
        Parallel.For(0, starts.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken },
            () => new Workspace(d, m), (i, _, work) =>
            {
                converged[i] = Converge(p, d, m, starts[i], iterations, work);
                return work;
            }, _ => { });
        var found = new List<(double[] W, double Fit, int Support)>();
        foreach (var (w, fit) in converged)
        {
            int match = found.FindIndex(f => Math.Abs(Dot(f.W, w)) > 0.995);
            if (match < 0) found.Add((w, fit, 1));
            else
            {
                var f = found[match];
                found[match] = fit > f.Fit ? (w, fit, f.Support + 1) : (f.W, f.Fit, f.Support + 1);
            }
        }
        return found.OrderByDescending(f => f.Fit).Select(f => new RankOnePoint(f.W, f.Fit, f.Support)).ToArray();
    }

    /// <summary>Alternating projections from one start until the direction moves by less than 1e-12: the point and its fit.</summary>
    private static (double[] W, double Fit) Converge(double[] p, int d, int m, double[] start, int iterations, Workspace work)
    {
        double[] w = Normalize(start);
        for (int it = 0; it < iterations; it++)
        {
            double[] next = Step(p, d, m, w, work, out _);
            double change = 0;
            double sign = Dot(next, w) < 0 ? -1 : 1;
            for (int k = 0; k < d; k++) change = Math.Max(change, Math.Abs(sign * next[k] - w[k]));
            w = next;
            if (change < 1e-12) break;
        }
        // the converged point's fit: the projection alone (its eigenvector would be discarded)
        return (w, Project(p, d, m, w, work));
    }

    /// <summary>f(w) = ||P^T svec(w w^T)||^2 for an orthonormal P.</summary>
    public static double Fit(ReadOnlySpan<double> basis, int d, int m, ReadOnlySpan<double> w)
    {
        var work = new Workspace(d, m);
        var x = Normalize(w.ToArray());
        return Project(basis.ToArray(), d, m, x, work);
    }

    private sealed class Workspace(int d, int m)
    {
        public readonly double[] V = new double[SymmetricCoordinates.Dimension(d)];
        public readonly double[] C = new double[m];
        public readonly double[] X = new double[d * d];
        public readonly double[] A = new double[d * d];
        public readonly double[] VT = new double[d * d];
    }

    /// <summary>X = smat(P P^T svec(w w^T)); returns its top eigenvector and sets fit = |P^T svec(w w^T)|^2.</summary>
    private static double[] Step(double[] p, int d, int m, double[] w, Workspace work, out double fit)
    {
        fit = Project(p, d, m, w, work);
        double root2 = Math.Sqrt(2);
        int q = 0;
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += p[q * m + k] * work.C[k];
                double value = i == j ? s : s / root2;
                work.X[i * d + j] = work.X[j * d + i] = value;
                q++;
            }
        return TopEigenvector(work.X, d, work.A, work.VT);
    }

    /// <summary>C = P^T svec(w w^T) into the workspace; returns the fit |C|^2 (the first half of <see cref="Step"/>).</summary>
    private static double Project(double[] p, int d, int m, double[] w, Workspace work)
    {
        int dim = work.V.Length;
        double root2 = Math.Sqrt(2);
        int q = 0;
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) work.V[q++] = i == j ? w[i] * w[i] : root2 * w[i] * w[j];
        Array.Clear(work.C);
        for (int r = 0; r < dim; r++)
        {
            double v = work.V[r];
            for (int k = 0; k < m; k++) work.C[k] += p[r * m + k] * v;
        }
        return Dot(work.C, work.C);
    }

    /// <summary>The eigenvector of the largest (signed) eigenvalue of a small symmetric matrix, by cyclic Jacobi rotations.</summary>
    internal static double[] TopEigenvector(double[] matrix, int n) => TopEigenvector(matrix, n, new double[n * n], new double[n * n]);

    /// <summary>
    /// <see cref="TopEigenvector(double[], int)"/> in the given n x n buffers. Each rotation updates columns p, q of A
    /// (strided), then rows p, q of A and the rows p, q of V^T (contiguous, on vectors: <see cref="JacobiSvd.Rotate"/>, the same
    /// unfused products per element), so V^T holds the eigenvectors as rows.
    /// </summary>
    private static double[] TopEigenvector(double[] matrix, int n, double[] a, double[] vt)
    {
        Array.Copy(matrix, a, n * n);
        Array.Clear(vt, 0, n * n);
        for (int i = 0; i < n; i++) vt[i * n + i] = 1;
        int width = Simd.WidthBits;
        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = 0, total = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double x = a[i * n + j] * a[i * n + j];
                    total += x;
                    if (i != j) off += x;
                }
            if (off <= 1e-30 * Math.Max(total, 1e-300)) break;
            for (int pi = 0; pi < n - 1; pi++)
                for (int qi = pi + 1; qi < n; qi++)
                {
                    double apq = a[pi * n + qi];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (a[qi * n + qi] - a[pi * n + pi]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + pi], akq = a[k * n + qi];
                        a[k * n + pi] = c * akp - s * akq;
                        a[k * n + qi] = s * akp + c * akq;
                    }
                    JacobiSvd.Rotate(a.AsSpan(pi * n, n), a.AsSpan(qi * n, n), c, s, width);
                    JacobiSvd.Rotate(vt.AsSpan(pi * n, n), vt.AsSpan(qi * n, n), c, s, width);
                }
        }
        int best = 0;
        for (int i = 1; i < n; i++) if (a[i * n + i] > a[best * n + best]) best = i;
        return vt.AsSpan(best * n, n).ToArray();
    }

    private static double[] Normalize(double[] w)
    {
        double norm = Math.Sqrt(Dot(w, w));
        if (!(norm > 0)) { w[0] = 1; return w; }
        for (int k = 0; k < w.Length; k++) w[k] /= norm;
        return w;
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => System.Numerics.Tensors.TensorPrimitives.Dot(x, y);
}
