using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// The residual check after the residual rounds (docs/algorithm.md section 5): a fit that is not exact while y - f(x) still
/// shows T_2 eigenvalues above the threshold that counts neurons is announced, whatever its held-out error; label noise alone
/// stays under the threshold and is not.
/// </summary>
public class UnfittedStructureTests
{
    private static (double[] X, double[] Y, ReluNetwork Teacher) Samples(int d, int m, int n, ulong seed, Func<double[], int, double> extra)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var x = new double[n * d];
        new CounterGaussian(seed + 7).Fill(0, x);
        var y = new double[n];
        teacher.Evaluate(x, y);
        for (int j = 0; j < n; j++) y[j] += extra(x, j);
        return (x, y, teacher);
    }

    [Fact]
    public void AFunctionOffTheModelLeavesStructureThatIsAnnounced()
    {
        // y = f(x) + 0.3 (x_0^2 - 1): no finite ReLU network is exact on it, and its T_2 term 0.6 e_0 e_0^T stays in the residual
        const int D = 6, M = 3, N = 400_000;
        var (x, y, _) = Samples(D, M, N, 5, (x, j) => 0.3 * (x[j * D] * x[j * D] - 1));
        var result = ReluLearner.Learn(new ArraySampleSource<double>(x, y, D), new LearnerOptions { Seed = 5, Threads = 1 },
            LearnerMode.FullRank);

        Assert.Contains(result.Warnings, w => w.Code == LearningWarningCode.UnfittedStructure);
        Assert.Contains(result.Log, line => line.StartsWith("residual check:", StringComparison.Ordinal));
    }

    [Fact]
    public void ANetworkTooLargeForTheFisherInformationIsCheckedToo()
    {
        // Above MaximumFisherParameters there is no refinement on all samples; the residual check ran only after that one, so a
        // wrong network of that size leaving less than 1e-3 of Var y unexplained had no warning ((64, 64, 2e7): 3.3e-4).
        const int D = 6, M = 3, N = 400_000;
        var (x, y, _) = Samples(D, M, N, 5, (x, j) => 0.3 * (x[j * D] * x[j * D] - 1));
        var result = ReluLearner.Learn(new ArraySampleSource<double>(x, y, D),
            new LearnerOptions { Seed = 5, Threads = 1, MaximumFisherParameters = 1 }, LearnerMode.FullRank);

        Assert.Contains(result.Log, line => line.StartsWith("no standard errors or refinement on all samples", StringComparison.Ordinal));
        var warning = Assert.Single(result.Warnings, w => w.Code == LearningWarningCode.UnfittedStructure);
        Assert.Contains("in-memory samples only", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelNoiseAloneIsNotStructure()
    {
        const int D = 6, M = 3, N = 400_000;
        double sd = 0.1;
        var noise = new double[N];
        new CounterGaussian(99).Fill(0, noise);
        var (x, y, _) = Samples(D, M, N, 5, (_, j) => sd * noise[j]);
        var result = ReluLearner.Learn(new ArraySampleSource<double>(x, y, D), new LearnerOptions { Seed = 5, Threads = 1 },
            LearnerMode.FullRank);

        Assert.Equal(M, result.Network.Hidden);
        Assert.Contains(result.Log, line => line.StartsWith("residual check:", StringComparison.Ordinal)); // the check ran
        Assert.True(!result.Warnings.Any(w => w.Code == LearningWarningCode.UnfittedStructure), string.Join("\n", result.Log));
    }
}
