using ReluFast.Moments.Kernels;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>The joint diagonalisation's starting factors (n x n, unit columns) and whether a whitening was found.</summary>
/// <param name="Factors">Starting factors; the identity when no positive definite combination was found.</param>
/// <param name="Whitened">Whether a positive definite combination of the slices was found and used.</param>
/// <param name="Sweeps">Jacobi sweeps of the round that was kept.</param>
internal sealed record JointStart(Tensor Factors, bool Whitened, int Sweeps);

/// <summary>
/// Non-orthogonal joint diagonalisation of symmetric slices X_s = A diag(d_s) A^T (n x n, A invertible) using all slices
/// at once. The slices span {A diag(q) A^T : q in R^n}; it holds positive definite Z = A diag(p) A^T (every p &gt; 0), whatever
/// the signs of the d_s. One is found by alternating projections between the span (its top-n singular subspace, which
/// drops most of the noise) and the cone {Z &gt;= c I}. With Z = L L^T, the whitened slices L^{-1} X_s L^{-T} =
/// Q diag(d_s / p) Q^T share the orthogonal Q = L^{-1} A diag(sqrt p), found by Jacobi rotations that diagonalise all
/// slices together (Cardoso and Souloumiac's joint diagonalisation): a pair of neurons is separated as soon as any slice
/// separates it, so no single eigen-gap has to be large. A second round whitens with the balanced combination
/// Z = A A^T (coefficients solving D^T alpha = 1 for the first round's diagonals), which is the best conditioned
/// whitening the span offers; the round with the lower slice residual is kept.
/// </summary>
internal static class JointDiagonalization
{
    private const int MaxProjections = 500;

    /// <summary>Starting factors for the n x n x s stack (symmetric slices, s &gt;= n).</summary>
    public static JointStart Start(Tensor stack, int maxSweeps)
    {
        int n = (int)stack.shape[0], s = (int)stack.shape[2];
        var (u, _, _) = linalg.svd(stack.reshape(n * n, s), fullMatrices: false);
        var span = u.narrow(1, 0, Math.Min(n, s)).contiguous();
        var z = PositiveCombination(span, n);
        if (z is null) return new JointStart(eye(n, dtype: float64), false, 0);
        double stackNorm = Math.Max(stack.norm().item<double>(), 1e-300);
        var first = Round(stack, z, maxSweeps, out int sweeps);
        double firstResidual = SliceStack.Residual(stack, first, SliceStack.SolveDiagonals(stack, first), stackNorm);

        // Balanced whitening: alpha with D^T alpha = 1, so Z = sum_s alpha_s X_s = A A^T.
        var d = SliceStack.SolveDiagonals(stack, first);
        var alpha = TorchTensors.LeastSquares(d.T, ones(n, 1, dtype: float64)).squeeze(1);
        var balanced = einsum("ijs,s->ij", stack, alpha);
        balanced = TorchTensors.Symmetrized(balanced);
        if (!IsPositiveDefinite(balanced)) return new JointStart(first, true, sweeps);
        var second = Round(stack, balanced, maxSweeps, out int secondSweeps);
        double secondResidual = SliceStack.Residual(stack, second, SliceStack.SolveDiagonals(stack, second), stackNorm);
        return secondResidual <= firstResidual ? new JointStart(second, true, secondSweeps) : new JointStart(first, true, sweeps);
    }

    /// <summary>
    /// A well-conditioned positive definite member of the span (columns of <paramref name="span"/>, n^2 x r, orthonormal):
    /// alternating projections from the identity between the span and the cone {Z &gt;= c I} until the iterate is (nearly) in
    /// the cone, its condition number is below 100 or it stopped improving, keeping the best conditioned positive definite
    /// iterate; null when none was reached. Stopping at the first
    /// barely positive definite iterate would whiten with a nearly singular Z and amplify the noise by its condition number.
    /// </summary>
    internal static Tensor? PositiveCombination(Tensor span, int n)
    {
        Tensor Project(Tensor x)
        {
            var p = span.matmul(span.T.matmul(x.reshape(n * n))).reshape(n, n);
            return TorchTensors.Symmetrized(p);
        }
        var z = Project(eye(n, dtype: float64));
        const double Floor = 0.1;
        Tensor? best = null;
        double bestRatio = 1e-10;
        int sinceImproved = 0;
        for (int it = 0; it < MaxProjections; it++)
        {
            var (values, vectors) = linalg.eigh(z);
            double low = values[0].item<double>(), high = values[-1].item<double>();
            if (high > 0 && low > bestRatio * high)
            {
                sinceImproved = low > 1.01 * bestRatio * high ? 0 : sinceImproved + 1;
                bestRatio = low / high;
                best = z;
            }
            else if (best is not null) sinceImproved++;
            // Near the cone, well conditioned enough (the balanced second round does the rest), or no longer improving.
            if (low >= 0.9 * Floor || bestRatio >= 1e-2 || sinceImproved >= 20) break;
            var lifted = vectors.matmul(diag(TorchTensors.ClampMin(values, Floor))).matmul(vectors.T);
            z = Project(lifted);
        }
        return best;
    }

    private static bool IsPositiveDefinite(Tensor z) => PositiveEnough(linalg.eigvalsh(z));

    private static bool PositiveEnough(Tensor ascending)
    {
        double low = ascending[0].item<double>(), high = ascending[-1].item<double>();
        return low > 1e-10 * high && high > 0;
    }

    /// <summary>Whitens by Z = Q diag(l) Q^T, diagonalises the whitened slices jointly, maps back: A = Q diag(sqrt l) V.</summary>
    private static Tensor Round(Tensor stack, Tensor z, int maxSweeps, out int sweeps)
    {
        int n = (int)stack.shape[0], s = (int)stack.shape[2];
        var (values, q) = linalg.eigh(z);
        var root = values.sqrt();
        var inverseRoot = (q / root.unsqueeze(0)).T;   // diag(l^-1/2) Q^T
        var whitened = einsum("ai,ijs,bj->sab", inverseRoot, stack, inverseRoot).contiguous();
        var slices = TorchTensors.ToArray(whitened);
        var rotation = Jacobi(slices, n, s, maxSweeps, out sweeps);
        var a = (q * root.unsqueeze(0)).matmul(TorchTensors.Matrix(rotation, n, n));
        return SliceStack.NormalizeColumns(a);
    }

    /// <summary>
    /// Orthogonal V (n x n row-major) making V^T Y_s V as diagonal as possible over all slices together (Jacobi rotations,
    /// the angle of each pair maximising the summed squared diagonal); slices are s consecutive n x n blocks, rotated in place.
    /// </summary>
    internal static double[] Jacobi(double[] slices, int n, int s, int maxSweeps, out int sweeps)
    {
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        int nn = n * n, width = Simd.WidthBits;
        for (sweeps = 0; sweeps < maxSweeps;)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double gpp = 0, gqq = 0, gpq = 0;
                    for (int k = 0; k < s; k++)
                    {
                        int o = k * nn;
                        double h1 = slices[o + p * n + p] - slices[o + q * n + q];
                        double h2 = slices[o + p * n + q] + slices[o + q * n + p];
                        gpp += h1 * h1;
                        gqq += h2 * h2;
                        gpq += h1 * h2;
                    }
                    double ton = gpp - gqq, toff = 2 * gpq;
                    double theta = 0.5 * Math.Atan2(toff, ton + Math.Sqrt(ton * ton + toff * toff));
                    double c = Math.Cos(theta), sn = Math.Sin(theta);
                    if (Math.Abs(sn) <= 1e-12) continue;
                    rotated = true;
                    for (int k = 0; k < s; k++)
                    {
                        int o = k * nn;
                        for (int i = 0; i < n; i++)
                        {
                            // Columns p, q: Y <- Y G with G = [c -s; s c].
                            double yp = slices[o + i * n + p], yq = slices[o + i * n + q];
                            slices[o + i * n + p] = c * yp + sn * yq;
                            slices[o + i * n + q] = c * yq - sn * yp;
                        }
                        // Rows p, q: Y <- G^T Y, i.e. (c y_p + sn y_q, c y_q - sn y_p): the rotation with -sn gives those bits
                        JacobiSvd.Rotate(slices.AsSpan(o + p * n, n), slices.AsSpan(o + q * n, n), c, -sn, width);
                    }
                    for (int i = 0; i < n; i++)
                    {
                        double vp = v[i * n + p], vq = v[i * n + q];
                        v[i * n + p] = c * vp + sn * vq;
                        v[i * n + q] = c * vq - sn * vp;
                    }
                }
            sweeps++;
            if (!rotated) break;
        }
        return v;
    }
}
