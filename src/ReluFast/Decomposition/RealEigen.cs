using System.Numerics.Tensors;

namespace ReluFast.Decomposition;

/// <summary>
/// Eigenvalues and eigenvectors of a real (nonsymmetric) n x n matrix.
/// </summary>
/// <param name="Real">Real parts of the eigenvalues.</param>
/// <param name="Imaginary">Imaginary parts: a complex pair takes two consecutive entries, the one with positive imaginary part first.</param>
/// <param name="Vectors">n x n row-major. For a real eigenvalue k, column k is its unit eigenvector; for a pair (k, k + 1), columns k and
/// k + 1 are the real and imaginary parts x, y of the eigenvector x + i y of value k (x - i y belongs to value k + 1), scaled to
/// |x|^2 + |y|^2 = 1 (LAPACK's geev convention, without its rotation that makes the largest component real).</param>
internal sealed record RealEigenResult(double[] Real, double[] Imaginary, double[] Vectors)
{
    /// <summary>Whether eigenvalue k is real.</summary>
    public bool IsReal(int k) => Imaginary[k] == 0;
}

/// <summary>
/// The eigendecomposition of a real nonsymmetric matrix in managed code: balancing by powers of 2 (LAPACK's gebal, scaling
/// only), Householder reduction to upper Hessenberg form and the Francis double-shift QR iteration with back substitution for
/// the eigenvectors (EISPACK orthes and hqr2, as in JAMA's EigenvalueDecomposition). Backward stable:
/// ||A V - V Lambda|| is a modest multiple of n u ||A|| for unit eigenvectors.
/// </summary>
internal static class RealEigen
{
    /// <summary>QR iterations allowed for one eigenvalue before the solve is declared failed (exceptional shifts at 10 and 30).</summary>
    private const int MaxIterations = 100;

    private const double Eps = 2.220446049250313e-16;

    /// <summary>Decomposes the n x n row-major <paramref name="a"/>.</summary>
    /// <exception cref="ArgumentException">The matrix is not n x n or holds NaN or infinity.</exception>
    /// <exception cref="ArithmeticException">The QR iteration did not converge (not seen on finite input).</exception>
    public static RealEigenResult Decompose(ReadOnlySpan<double> a, int n)
    {
        if (n < 0 || a.Length != n * n) throw new ArgumentException($"Expected an {n} x {n} matrix, got {a.Length} values.", nameof(a));
        foreach (double x in a) if (!double.IsFinite(x)) throw new ArgumentException("The matrix holds NaN or infinity.", nameof(a));
        var h = a.ToArray();
        var v = new double[n * n];
        var re = new double[n];
        var im = new double[n];
        if (n == 0) return new RealEigenResult(re, im, v);
        double factor = DenseMatrix.ScaleIntoSafeRange(h); // as LAPACK's geev: squares of entries must not overflow
        double[] scale = Balance(h, n);
        Hessenberg(h, v, n);
        Schur(h, v, re, im, n);
        if (factor != 1)
        {
            TensorPrimitives.Divide(re, factor, re);
            TensorPrimitives.Divide(im, factor, im);
        }
        // Undo the balancing (x = D y) and scale every eigenvector to unit length.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) v[i * n + j] *= scale[i];
        for (int k = 0; k < n; k++)
        {
            bool pair = im[k] > 0 && k + 1 < n;
            double norm = 0;
            for (int i = 0; i < n; i++)
            {
                norm += v[i * n + k] * v[i * n + k];
                if (pair) norm += v[i * n + k + 1] * v[i * n + k + 1];
            }
            norm = Math.Sqrt(norm);
            if (norm > 0)
                for (int i = 0; i < n; i++)
                {
                    v[i * n + k] /= norm;
                    if (pair) v[i * n + k + 1] /= norm;
                }
            if (pair) k++;
        }
        return new RealEigenResult(re, im, v);
    }

    /// <summary>
    /// D^-1 A D with D = diag(2^k) making the 2-norms of each row and column comparable (LAPACK 3.5's gebal without its
    /// permutations; powers of 2 make it exact). The norms include the diagonal (James, Langou and Lowery, "On matrix balancing and
    /// eigenvector computation", 2014): with the off-diagonal norms alone, a nearly triangular matrix (the pencil of triangular
    /// factors) is scaled by up to 1e13 and its eigenvectors lose as many digits. Returns the diagonal of D.
    /// </summary>
    private static double[] Balance(double[] a, int n)
    {
        const double Radix = 2, Factor = 0.95;
        const double SafeMin1 = 2.2250738585072014e-308 / Eps; // LAPACK's sfmin1: the smallest normal number over eps
        const double SafeMax1 = 1 / SafeMin1, SafeMin2 = SafeMin1 * Radix, SafeMax2 = 1 / SafeMin2;
        var scale = new double[n];
        Array.Fill(scale, 1.0);
        var column = new double[n];
        for (bool converged = false; !converged;)
        {
            converged = true;
            for (int i = 0; i < n; i++)
            {
                double c = 0, r = 0, ca = 0, ra = 0;
                for (int j = 0; j < n; j++)
                {
                    column[j] = a[j * n + i];
                    ca = Math.Max(ca, Math.Abs(a[j * n + i]));
                    ra = Math.Max(ra, Math.Abs(a[i * n + j]));
                }
                c = TensorPrimitives.Norm<double>(column);
                r = TensorPrimitives.Norm<double>(a.AsSpan(i * n, n));
                if (c == 0 || r == 0) continue;
                double g = r / Radix, f = 1, s = c + r;
                while (c < g && Math.Max(f, Math.Max(c, ca)) < SafeMax2 && Math.Min(r, Math.Min(g, ra)) > SafeMin2)
                {
                    f *= Radix;
                    c *= Radix;
                    ca *= Radix;
                    r /= Radix;
                    g /= Radix;
                    ra /= Radix;
                }
                g = c / Radix;
                while (g >= r && Math.Max(r, ra) < SafeMax2 && Math.Min(Math.Min(f, c), Math.Min(g, ca)) > SafeMin2)
                {
                    f /= Radix;
                    c /= Radix;
                    g /= Radix;
                    ca /= Radix;
                    r *= Radix;
                    ra *= Radix;
                }
                if (c + r >= Factor * s) continue;
                if (f < 1 && scale[i] < 1 && f * scale[i] <= SafeMin1) continue;
                if (f > 1 && scale[i] > 1 && scale[i] >= SafeMax1 / f) continue;
                converged = false;
                scale[i] *= f;
                for (int j = 0; j < n; j++) a[i * n + j] /= f;
                for (int j = 0; j < n; j++) a[j * n + i] *= f;
            }
        }
        return scale;
    }

    /// <summary>orthes: H = Q^T A Q upper Hessenberg by Householder reflections; Q accumulated into V.</summary>
    private static void Hessenberg(double[] h, double[] v, int n)
    {
        int high = n - 1;
        var ort = new double[n];
        for (int m = 1; m <= high - 1; m++)
        {
            double scale = 0;
            for (int i = m; i <= high; i++) scale += Math.Abs(h[i * n + m - 1]);
            if (scale == 0) continue;
            double hh = 0;
            for (int i = high; i >= m; i--)
            {
                ort[i] = h[i * n + m - 1] / scale;
                hh += ort[i] * ort[i];
            }
            double g = Math.Sqrt(hh);
            if (ort[m] > 0) g = -g;
            hh -= ort[m] * g;
            ort[m] -= g;
            // H = (I - u u^T / hh) H (I - u u^T / hh)
            for (int j = m; j < n; j++)
            {
                double f = 0;
                for (int i = high; i >= m; i--) f += ort[i] * h[i * n + j];
                f /= hh;
                for (int i = m; i <= high; i++) h[i * n + j] -= f * ort[i];
            }
            for (int i = 0; i <= high; i++)
            {
                double f = 0;
                for (int j = high; j >= m; j--) f += ort[j] * h[i * n + j];
                f /= hh;
                for (int j = m; j <= high; j++) h[i * n + j] -= f * ort[j];
            }
            ort[m] = scale * ort[m];
            h[m * n + m - 1] = scale * g;
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) v[i * n + j] = i == j ? 1 : 0;
        for (int m = high - 1; m >= 1; m--)
        {
            if (h[m * n + m - 1] == 0) continue;
            for (int i = m + 1; i <= high; i++) ort[i] = h[i * n + m - 1];
            for (int j = m; j <= high; j++)
            {
                double g = 0;
                for (int i = m; i <= high; i++) g += ort[i] * v[i * n + j];
                g = g / ort[m] / h[m * n + m - 1]; // two divisions avoid a possible underflow
                for (int i = m; i <= high; i++) v[i * n + j] += g * ort[i];
            }
        }
    }

    /// <summary>hqr2: the real Schur form of the Hessenberg H by double-shift QR (into V), then the eigenvectors by back substitution.</summary>
    private static void Schur(double[] h, double[] v, double[] d, double[] e, int nn)
    {
        int n = nn - 1;
        const int Low = 0;
        int high = nn - 1;
        double exshift = 0;
        double p = 0, q = 0, r = 0, s = 0, z = 0, w, x, y;

        double norm = 0;
        for (int i = 0; i < nn; i++)
            for (int j = Math.Max(i - 1, 0); j < nn; j++) norm += Math.Abs(h[i * nn + j]);
        if (norm == 0) return; // the zero matrix: eigenvalues 0, V = I (EISPACK's deflation test would never pass)

        int iter = 0;
        while (n >= Low)
        {
            // A single negligible subdiagonal entry.
            int l = n;
            while (l > Low)
            {
                s = Math.Abs(h[(l - 1) * nn + l - 1]) + Math.Abs(h[l * nn + l]);
                if (s == 0) s = norm;
                if (Math.Abs(h[l * nn + l - 1]) < Eps * s) break;
                l--;
            }
            if (l == n)
            {
                // One root.
                h[n * nn + n] += exshift;
                d[n] = h[n * nn + n];
                e[n] = 0;
                n--;
                iter = 0;
            }
            else if (l == n - 1)
            {
                // Two roots.
                w = h[n * nn + n - 1] * h[(n - 1) * nn + n];
                p = (h[(n - 1) * nn + n - 1] - h[n * nn + n]) / 2;
                q = p * p + w;
                z = Math.Sqrt(Math.Abs(q));
                h[n * nn + n] += exshift;
                h[(n - 1) * nn + n - 1] += exshift;
                x = h[n * nn + n];
                if (q >= 0)
                {
                    // A real pair: rotate it to upper triangular form.
                    z = p >= 0 ? p + z : p - z;
                    d[n - 1] = x + z;
                    d[n] = d[n - 1];
                    if (z != 0) d[n] = x - w / z;
                    e[n - 1] = 0;
                    e[n] = 0;
                    x = h[n * nn + n - 1];
                    s = Math.Abs(x) + Math.Abs(z);
                    p = x / s;
                    q = z / s;
                    r = Math.Sqrt(p * p + q * q);
                    p /= r;
                    q /= r;
                    for (int j = n - 1; j < nn; j++)
                    {
                        z = h[(n - 1) * nn + j];
                        h[(n - 1) * nn + j] = q * z + p * h[n * nn + j];
                        h[n * nn + j] = q * h[n * nn + j] - p * z;
                    }
                    for (int i = 0; i <= n; i++)
                    {
                        z = h[i * nn + n - 1];
                        h[i * nn + n - 1] = q * z + p * h[i * nn + n];
                        h[i * nn + n] = q * h[i * nn + n] - p * z;
                    }
                    for (int i = Low; i <= high; i++)
                    {
                        z = v[i * nn + n - 1];
                        v[i * nn + n - 1] = q * z + p * v[i * nn + n];
                        v[i * nn + n] = q * v[i * nn + n] - p * z;
                    }
                }
                else
                {
                    // A complex pair.
                    d[n - 1] = x + p;
                    d[n] = x + p;
                    e[n - 1] = z;
                    e[n] = -z;
                }
                n -= 2;
                iter = 0;
            }
            else
            {
                // Not converged yet: form the shift.
                x = h[n * nn + n];
                y = 0;
                w = 0;
                if (l < n)
                {
                    y = h[(n - 1) * nn + n - 1];
                    w = h[n * nn + n - 1] * h[(n - 1) * nn + n];
                }
                if (iter == 10)
                {
                    // Wilkinson's original ad hoc shift.
                    exshift += x;
                    for (int i = Low; i <= n; i++) h[i * nn + i] -= x;
                    s = Math.Abs(h[n * nn + n - 1]) + Math.Abs(h[(n - 1) * nn + n - 2]);
                    x = y = 0.75 * s;
                    w = -0.4375 * s * s;
                }
                if (iter == 30)
                {
                    // MATLAB's ad hoc shift.
                    s = (y - x) / 2;
                    s = s * s + w;
                    if (s > 0)
                    {
                        s = Math.Sqrt(s);
                        if (y < x) s = -s;
                        s = x - w / ((y - x) / 2 + s);
                        for (int i = Low; i <= n; i++) h[i * nn + i] -= s;
                        exshift += s;
                        x = y = w = 0.964;
                    }
                }
                if (++iter > MaxIterations)
                    throw new ArithmeticException($"The Hessenberg QR iteration did not converge for eigenvalue {n} of {nn}.");

                // Two consecutive small subdiagonal entries.
                int m = n - 2;
                while (m >= l)
                {
                    z = h[m * nn + m];
                    r = x - z;
                    s = y - z;
                    p = (r * s - w) / h[(m + 1) * nn + m] + h[m * nn + m + 1];
                    q = h[(m + 1) * nn + m + 1] - z - r - s;
                    r = h[(m + 2) * nn + m + 1];
                    s = Math.Abs(p) + Math.Abs(q) + Math.Abs(r);
                    p /= s;
                    q /= s;
                    r /= s;
                    if (m == l) break;
                    if (Math.Abs(h[m * nn + m - 1]) * (Math.Abs(q) + Math.Abs(r)) <
                        Eps * (Math.Abs(p) * (Math.Abs(h[(m - 1) * nn + m - 1]) + Math.Abs(z) + Math.Abs(h[(m + 1) * nn + m + 1]))))
                        break;
                    m--;
                }
                for (int i = m + 2; i <= n; i++)
                {
                    h[i * nn + i - 2] = 0;
                    if (i > m + 2) h[i * nn + i - 3] = 0;
                }

                // The double QR step on rows l..n and columns m..n.
                for (int k = m; k <= n - 1; k++)
                {
                    bool notLast = k != n - 1;
                    if (k != m)
                    {
                        p = h[k * nn + k - 1];
                        q = h[(k + 1) * nn + k - 1];
                        r = notLast ? h[(k + 2) * nn + k - 1] : 0;
                        x = Math.Abs(p) + Math.Abs(q) + Math.Abs(r);
                        if (x == 0) continue;
                        p /= x;
                        q /= x;
                        r /= x;
                    }
                    s = Math.Sqrt(p * p + q * q + r * r);
                    if (p < 0) s = -s;
                    if (s == 0) continue;
                    if (k != m) h[k * nn + k - 1] = -s * x;
                    else if (l != m) h[k * nn + k - 1] = -h[k * nn + k - 1];
                    p += s;
                    x = p / s;
                    y = q / s;
                    z = r / s;
                    q /= p;
                    r /= p;
                    for (int j = k; j < nn; j++)
                    {
                        p = h[k * nn + j] + q * h[(k + 1) * nn + j];
                        if (notLast)
                        {
                            p += r * h[(k + 2) * nn + j];
                            h[(k + 2) * nn + j] -= p * z;
                        }
                        h[k * nn + j] -= p * x;
                        h[(k + 1) * nn + j] -= p * y;
                    }
                    for (int i = 0; i <= Math.Min(n, k + 3); i++)
                    {
                        p = x * h[i * nn + k] + y * h[i * nn + k + 1];
                        if (notLast)
                        {
                            p += z * h[i * nn + k + 2];
                            h[i * nn + k + 2] -= p * r;
                        }
                        h[i * nn + k] -= p;
                        h[i * nn + k + 1] -= p * q;
                    }
                    for (int i = Low; i <= high; i++)
                    {
                        p = x * v[i * nn + k] + y * v[i * nn + k + 1];
                        if (notLast)
                        {
                            p += z * v[i * nn + k + 2];
                            v[i * nn + k + 2] -= p * r;
                        }
                        v[i * nn + k] -= p;
                        v[i * nn + k + 1] -= p * q;
                    }
                }
            }
        }

        BackSubstitute(h, d, e, nn, norm);
        // V = V T: the eigenvectors of A from those of the quasi-triangular T.
        for (int j = nn - 1; j >= Low; j--)
            for (int i = Low; i <= high; i++)
            {
                z = 0;
                for (int k = Low; k <= Math.Min(j, high); k++) z += v[i * nn + k] * h[k * nn + j];
                v[i * nn + j] = z;
            }
    }

    /// <summary>The eigenvectors of the real Schur form T (in place of its upper triangle) by back substitution.</summary>
    private static void BackSubstitute(double[] h, double[] d, double[] e, int nn, double norm)
    {
        double p, q, r = 0, s = 0, t, w, x, y, z = 0;
        for (int n = nn - 1; n >= 0; n--)
        {
            p = d[n];
            q = e[n];
            if (q == 0)
            {
                // A real vector.
                int l = n;
                h[n * nn + n] = 1;
                for (int i = n - 1; i >= 0; i--)
                {
                    w = h[i * nn + i] - p;
                    r = 0;
                    for (int j = l; j <= n; j++) r += h[i * nn + j] * h[j * nn + n];
                    if (e[i] < 0)
                    {
                        z = w;
                        s = r;
                    }
                    else
                    {
                        l = i;
                        if (e[i] == 0)
                        {
                            h[i * nn + n] = w != 0 ? -r / w : -r / (Eps * norm);
                        }
                        else
                        {
                            // Solve the real 2 x 2 equations.
                            x = h[i * nn + i + 1];
                            y = h[(i + 1) * nn + i];
                            q = (d[i] - p) * (d[i] - p) + e[i] * e[i];
                            t = (x * s - z * r) / q;
                            h[i * nn + n] = t;
                            h[(i + 1) * nn + n] = Math.Abs(x) > Math.Abs(z) ? (-r - w * t) / x : (-s - y * t) / z;
                        }
                        // Overflow control.
                        t = Math.Abs(h[i * nn + n]);
                        if (Eps * t * t > 1)
                            for (int j = i; j <= n; j++) h[j * nn + n] /= t;
                    }
                }
            }
            else if (q < 0)
            {
                // A complex vector (the second of a pair; its real part goes to column n - 1, its imaginary part to column n).
                int l = n - 1;
                if (Math.Abs(h[n * nn + n - 1]) > Math.Abs(h[(n - 1) * nn + n]))
                {
                    h[(n - 1) * nn + n - 1] = q / h[n * nn + n - 1];
                    h[(n - 1) * nn + n] = -(h[n * nn + n] - p) / h[n * nn + n - 1];
                }
                else
                {
                    (h[(n - 1) * nn + n - 1], h[(n - 1) * nn + n]) = Divide(0, -h[(n - 1) * nn + n], h[(n - 1) * nn + n - 1] - p, q);
                }
                h[n * nn + n - 1] = 0;
                h[n * nn + n] = 1;
                for (int i = n - 2; i >= 0; i--)
                {
                    double ra = 0, sa = 0;
                    for (int j = l; j <= n; j++)
                    {
                        ra += h[i * nn + j] * h[j * nn + n - 1];
                        sa += h[i * nn + j] * h[j * nn + n];
                    }
                    w = h[i * nn + i] - p;
                    if (e[i] < 0)
                    {
                        z = w;
                        r = ra;
                        s = sa;
                    }
                    else
                    {
                        l = i;
                        if (e[i] == 0)
                        {
                            (h[i * nn + n - 1], h[i * nn + n]) = Divide(-ra, -sa, w, q);
                        }
                        else
                        {
                            // Solve the complex 2 x 2 equations.
                            x = h[i * nn + i + 1];
                            y = h[(i + 1) * nn + i];
                            double vr = (d[i] - p) * (d[i] - p) + e[i] * e[i] - q * q;
                            double vi = (d[i] - p) * 2 * q;
                            if (vr == 0 && vi == 0)
                                vr = Eps * norm * (Math.Abs(w) + Math.Abs(q) + Math.Abs(x) + Math.Abs(y) + Math.Abs(z));
                            (h[i * nn + n - 1], h[i * nn + n]) = Divide(x * r - z * ra + q * sa, x * s - z * sa - q * ra, vr, vi);
                            if (Math.Abs(x) > Math.Abs(z) + Math.Abs(q))
                            {
                                h[(i + 1) * nn + n - 1] = (-ra - w * h[i * nn + n - 1] + q * h[i * nn + n]) / x;
                                h[(i + 1) * nn + n] = (-sa - w * h[i * nn + n] - q * h[i * nn + n - 1]) / x;
                            }
                            else
                            {
                                (h[(i + 1) * nn + n - 1], h[(i + 1) * nn + n]) = Divide(-r - y * h[i * nn + n - 1], -s - y * h[i * nn + n], z, q);
                            }
                        }
                        // Overflow control.
                        t = Math.Max(Math.Abs(h[i * nn + n - 1]), Math.Abs(h[i * nn + n]));
                        if (Eps * t * t > 1)
                            for (int j = i; j <= n; j++)
                            {
                                h[j * nn + n - 1] /= t;
                                h[j * nn + n] /= t;
                            }
                    }
                }
            }
        }
    }

    /// <summary>The complex quotient (xr + i xi) / (yr + i yi) (Smith's algorithm).</summary>
    private static (double Re, double Im) Divide(double xr, double xi, double yr, double yi)
    {
        if (Math.Abs(yr) > Math.Abs(yi))
        {
            double r = yi / yr, d = yr + r * yi;
            return ((xr + r * xi) / d, (xi - r * xr) / d);
        }
        else
        {
            double r = yr / yi, d = yi + r * yr;
            return ((r * xr + xi) / d, (r * xi - xr) / d);
        }
    }
}
