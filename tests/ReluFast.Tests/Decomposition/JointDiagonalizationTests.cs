using ReluFast.Decomposition;
using ReluFast.Sampling;

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
