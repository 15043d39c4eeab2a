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

    [Fact]
    public void TheLibTorchPolishKeepsNoIterationsTemporaries()
    {
        // Each iteration makes several m^3 tensors; kept in the caller's scope to its end they took 24 GB at m = 128 (the
        // learner's candidates). What the polish leaves in that scope must not grow with its iterations.
        const int m = 10;
        var problem = SyntheticSlices.Create(m, 5, 1e-2);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var b = TorchTensors.Matrix(problem.Quadratic, m, m);
        var c = TorchTensors.Vector(problem.Tensor).reshape(m, m, m);
        var stack = TorchSharp.torch.cat([b.unsqueeze(2), c], 2);
        var perturbation = Random(m * m, 9);
        var start = TorchTensors.Matrix(problem.Factors.Select((v, k) => v + 0.3 * perturbation[k]).ToArray(), m, m);
        int before = scope.DisposablesCount;
        var one = SliceStack.Polish(stack, start, 1);
        int leftByOne = scope.DisposablesCount - before;
        var many = SliceStack.Polish(stack, start, 100);
        int leftByMany = scope.DisposablesCount - before - leftByOne;
        Assert.Equal(1, one.Iterations);
        Assert.True(many.Iterations >= 5, $"{many.Iterations} iterations");
        Assert.Equal(leftByOne, leftByMany);
        Assert.True(many.Residual < one.Residual, $"{many.Residual} vs {one.Residual}");
    }

    private static double[] Random(int count, ulong seed)
    {
        var values = new double[count];
        new CounterGaussian(seed, key: 0xBAC0).Fill(0, values);
        return values;
    }
}
