using ReluFast.Decomposition;
using ReluFast.Sampling;

namespace ReluFast.Tests.Decomposition;

/// <summary>
/// <see cref="DenseBackend"/>: the dense entry points choose managed code or libtorch by size alone, and both implementations of
/// the slice-stack decompositions recover exact stacks to round-off and noisy ones within the first-order bound.
/// </summary>
public sealed class DenseBackendTests
{
    [Fact]
    public void TheEntryPointsChooseByOrderAlone()
    {
        // at the limit: managed (the same bits as the managed solver); one above: libtorch's bits
        foreach (int n in new[] { 1, 5, DenseBackend.ManagedOrder, DenseBackend.ManagedOrder + 1, DenseBackend.ManagedSymmetricOrder,
            DenseBackend.ManagedSymmetricOrder + 1 })
        {
            var a = DenseMatrix.Symmetrize(Random(n * n, (ulong)n), n);
            var spectrum = SymmetricSpectrum.Compute(a, n);
            bool managed = DenseBackend.IsManagedSymmetric(n);
            var (values, _) = managed ? SymmetricSpectrum.Managed(a, n) : SymmetricSpectrum.Torch(a, n);
            Assert.Equal(values.OrderByDescending(Math.Abs).ToArray(), spectrum.Values.ToArray());
            // the largest value alone: the same rule, the values-only solve (within Weyl's bound of the full one)
            Assert.Equal(values.Max(), SymmetricSpectrum.LargestValue(a, n), 1e-12 * n * values.Max(Math.Abs));
            var b = Random(n, (ulong)n + 1);
            var solved = DenseSolve.Solve(a, n, b);
            Assert.Equal(DenseBackend.IsManaged(n) ? DenseMatrix.LeastSquares(a, n, n, b, 1) : DenseSolve.SolveTorch(a, n, b), solved);
        }
        Assert.True(DenseBackend.IsManaged(DenseBackend.ManagedOrder) && !DenseBackend.IsManaged(DenseBackend.ManagedOrder + 1));
        Assert.True(DenseBackend.IsManagedSymmetric(DenseBackend.ManagedSymmetricOrder)
            && !DenseBackend.IsManagedSymmetric(DenseBackend.ManagedSymmetricOrder + 1));
        Assert.True(DenseBackend.IsManagedStack(DenseBackend.ManagedStackOrder) && !DenseBackend.IsManagedStack(DenseBackend.ManagedStackOrder + 1));

        const int m = 5;
        var problem = SyntheticSlices.Create(m, 2, 1e-3);
        var options = new DecompositionOptions();
        Assert.Equal(PencilDecomposition.DecomposeManaged(problem.Quadratic, problem.Tensor, m, options).Factors,
            PencilDecomposition.Decompose(problem.Quadratic, problem.Tensor, m, options).Factors);
    }

    [Theory]
    [InlineData("Pencil", 8)]
    [InlineData("JointDiagonalization", 8)]
    [InlineData("Auto", 8)]
    [InlineData("Auto", 24)]
    public void BothBackendsRecoverExactStacksToRoundOff(string methodName, int m)
    {
        var method = Enum.Parse<DecompositionMethod>(methodName);
        var problem = SyntheticSlices.Create(m, 11, 0);
        var options = new DecompositionOptions { Method = method, Seed = 3 };
        foreach (var result in new[]
        {
            PencilDecomposition.DecomposeManaged(problem.Quadratic, problem.Tensor, m, options),
            PencilDecomposition.DecomposeTorch(problem.Quadratic, problem.Tensor, m, options),
        })
        {
            double error = problem.ColumnError(result.Factors);
            Assert.True(error < 1e-9, $"{method}, m = {m}: column error {error}, residual {result.PolishedResidual}");
            Assert.True(result.PolishedResidual < 1e-10, $"residual {result.PolishedResidual}");
            Assert.True(result.Reliable);
        }
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(16, 2)]
    public void BothBackendsStayWithinTheFirstOrderBoundOnNoisyStacks(int m, ulong seed)
    {
        // a relative perturbation e of the slices moves the factors by at most about cond^2 e (JointDiagonalizationTests)
        const double Noise = 1e-3;
        var problem = SyntheticSlices.Create(m, seed, Noise);
        var options = new DecompositionOptions { Seed = seed };
        var managed = PencilDecomposition.DecomposeManaged(problem.Quadratic, problem.Tensor, m, options);
        var torch = PencilDecomposition.DecomposeTorch(problem.Quadratic, problem.Tensor, m, options);
        foreach (var result in new[] { managed, torch })
        {
            double bound = result.Conditioning * result.Conditioning * Noise;
            Assert.True(problem.ColumnError(result.Factors) < bound, $"column error {problem.ColumnError(result.Factors)} above {bound}");
            Assert.True(result.Reliable);
        }
    }

    [Theory]
    [InlineData(8, 8, 3)]   // fewer slices than components
    [InlineData(10, 6, 5)]  // projected onto the slices' span first
    public void BothSlicePencilBackendsRecoverExactFactors(int n, int k, int s)
    {
        var v = Random(n * k, 21);
        DenseMatrix.NormalizeColumns(v, n, k);
        var diagonals = Random(s * k, 22);
        var slices = new List<double[]>();
        for (int q = 0; q < s; q++)
        {
            var slice = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < k; c++) slice[i * n + j] += v[i * k + c] * diagonals[q * k + c] * v[j * k + c];
            slices.Add(slice);
        }
        foreach (var result in new[]
        {
            SlicePencil.DecomposeManaged(slices, n, k, 16, 3, 200),
            SlicePencil.DecomposeTorch(slices, n, k, 16, 3, 200),
        })
        {
            for (int c = 0; c < k; c++)
            {
                double best = 0;
                for (int j = 0; j < k; j++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += v[i * k + c] * result.Factors[i * k + j];
                    best = Math.Max(best, Math.Abs(dot));
                }
                Assert.True(best > 1 - 1e-8, $"column {c}: best |cos| {best}");
            }
            Assert.True(result.PolishedResidual < 1e-8, $"residual {result.PolishedResidual}");
        }
        Assert.Equal(SlicePencil.DecomposeManaged(slices, n, k, 16, 3, 200).Factors, SlicePencil.Decompose(slices, n, k, 16, 3).Factors);
    }

    private static double[] Random(int count, ulong seed)
    {
        var values = new double[count];
        new CounterGaussian(seed, key: 0xBAC0).Fill(0, values);
        return values;
    }
}
