using ReluFast.Decomposition;
using ReluFast.Sampling;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Decomposition;

public class JointDiagonalizationTests
{
    private static PencilResult Run(SyntheticSlices problem, int m, DecompositionMethod method, ulong seed = 1) =>
        PencilDecomposition.Decompose(problem.Quadratic, problem.Tensor, m, new DecompositionOptions { Method = method, Seed = seed });

    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    [InlineData(64)]
    public void ExactStacksAreRecoveredToRoundOff(int m)
    {
        var problem = SyntheticSlices.Create(m, 11, 0);
        var result = Run(problem, m, DecompositionMethod.JointDiagonalization);
        double error = problem.ColumnError(result.Factors);
        Assert.True(error < 1e-9, $"m = {m}: column error {error}, residual {result.PolishedResidual}");
        Assert.True(result.PolishedResidual < 1e-10, $"residual {result.PolishedResidual}");
        Assert.True(result.Reliable);
        Assert.Equal(DecompositionMethod.JointDiagonalization, result.Method);
    }

    /// <summary>
    /// The Jacobi sweeps rotate the slices' rows p, q with the vector rotation: to the bit the scalar loop they replaced, on the
    /// 512-bit, 256-bit and scalar paths (a noisy stack, so that many pairs rotate in several sweeps).
    /// </summary>
    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(64)]
    public void JacobiSweepsAreTheScalarLoopsToTheBit(int width) => WithWidth(width, () =>
    {
        const int N = 13, S = 6;
        var slices = new double[S * N * N];
        new CounterGaussian(5, 9).Fill(0, slices);
        for (int k = 0; k < S; k++)
            for (int i = 0; i < N; i++)
                for (int j = 0; j < i; j++) slices[k * N * N + j * N + i] = slices[k * N * N + i * N + j];
        double[] kernel = (double[])slices.Clone(), reference = (double[])slices.Clone();
        var v = JointDiagonalization.Jacobi(kernel, N, S, 5, out int sweeps);
        var vReference = ReferenceJacobi(reference, N, S, 5, out int referenceSweeps);
        Assert.Equal(referenceSweeps, sweeps);
        Assert.Equal(reference.Select(BitConverter.DoubleToInt64Bits), kernel.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(vReference.Select(BitConverter.DoubleToInt64Bits), v.Select(BitConverter.DoubleToInt64Bits));
    });

    /// <summary>The sweeps as they were, with scalar loops for the rows as for the columns.</summary>
    private static double[] ReferenceJacobi(double[] slices, int n, int s, int maxSweeps, out int sweeps)
    {
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        int nn = n * n;
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
                            double yp = slices[o + i * n + p], yq = slices[o + i * n + q];
                            slices[o + i * n + p] = c * yp + sn * yq;
                            slices[o + i * n + q] = c * yq - sn * yp;
                        }
                        for (int j = 0; j < n; j++)
                        {
                            double yp = slices[o + p * n + j], yq = slices[o + q * n + j];
                            slices[o + p * n + j] = c * yp + sn * yq;
                            slices[o + q * n + j] = c * yq - sn * yp;
                        }
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

    [Fact]
    public void NoisyColumnErrorScalesWithTheNoise()
    {
        // First order: a relative perturbation e of the slices moves the whitening (Z = W~ W~^T, condition number cond^2)
        // and the rotations by at most about cond^2 e, so the column error must stay below cond^2 e, and it must be linear:
        // ten times the noise gives three to thirty times the error.
        const int m = 16;
        for (ulong seed = 1; seed <= 3; seed++)
        {
            var low = SyntheticSlices.Create(m, seed, 1e-4);
            var high = SyntheticSlices.Create(m, seed, 1e-3);
            var lowResult = Run(low, m, DecompositionMethod.JointDiagonalization);
            var highResult = Run(high, m, DecompositionMethod.JointDiagonalization);
            double e1 = low.ColumnError(lowResult.Factors), e2 = high.ColumnError(highResult.Factors);
            double bound = highResult.Conditioning * highResult.Conditioning * 1e-3;
            Assert.True(e2 < bound, $"seed {seed}: error {e2} at noise 1e-3 above cond^2 e = {bound}");
            Assert.InRange(e2 / e1, 3, 30);
            Assert.True(highResult.Reliable);
        }
    }

    [Fact]
    public void AtThirtyTwoNeuronsTheJointDiagonalisationSucceedsWhereTheRandomPencilFails()
    {
        // Success: every column within 0.05 of the truth, inside the basin from which refinement converges (docs/algorithm.md section 10).
        // The random pencil's eigenvalues crowd at m = 32: its best gap leaves two columns mixed and the polish cannot separate them.
        const int m = 32;
        var problem = SyntheticSlices.Create(m, 3, 1e-3);
        var pencil = Run(problem, m, DecompositionMethod.Pencil, seed: 3);
        var joint = Run(problem, m, DecompositionMethod.JointDiagonalization, seed: 3);
        double pencilError = problem.ColumnError(pencil.Factors), jointError = problem.ColumnError(joint.Factors);
        Assert.True(pencilError > 0.1, $"the pencil's column error {pencilError} (gap {pencil.RelativeGap}, residual {pencil.PolishedResidual})");
        Assert.True(jointError < 0.05, $"the joint diagonalisation's column error {jointError}");
        Assert.True(joint.PolishedResidual < pencil.PolishedResidual);
        // Auto keeps the joint diagonalisation.
        var auto = Run(problem, m, DecompositionMethod.Auto, seed: 3);
        Assert.Equal(DecompositionMethod.JointDiagonalization, auto.Method);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(24)]
    public void SlicesThatAreNotJointlyDiagonalisableAreFlagged(int m)
    {
        var normals = new CounterGaussian(5, key: 0xF1A6);
        var b = new double[m * m];
        var c = new double[m * m * m];
        normals.Fill(0, b);
        normals.Fill(b.Length, c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < i; j++) b[i * m + j] = b[j * m + i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++)
                {
                    int[] s = [i, j, k];
                    Array.Sort(s);
                    c[(i * m + j) * m + k] = c[(s[0] * m + s[1]) * m + s[2]];
                }
        var result = PencilDecomposition.Decompose(b, c, m);
        Assert.False(result.Reliable, $"residual {result.PolishedResidual}, conditioning {result.Conditioning}");
        Assert.True(result.PolishedResidual > 0.1);
    }
}
