using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using static ReluFast.Tests.Learning.LearnerTestCases;

namespace ReluFast.Tests.Learning;

/// <summary>
/// End-to-end recovery of teachers by the full-rank learner (docs/algorithm.md sections 5-10). Noiseless teachers are
/// realisable, so refinement reaches round-off: the bound 1e-4 of the learner issue is far above what a
/// correct learner gives (about 1e-10) and far below what a wrong one gives (the moment error, about 1e-2).
/// </summary>
public class MomentLearnerTests
{
    private const double Exact = 1e-4;

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void RecoversRandomNoiselessTeachersAtD10M5(ulong seed)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(10, 5), seed);
        var (result, cmp) = Learn(teacher, 1_000_000, seed);
        Assert.True(cmp.WError < Exact && cmp.AError < Exact && cmp.BError < Exact, Describe(cmp));
        Assert.True(cmp.RelativeTestMse < 1e-10, Describe(cmp));
        Assert.Equal(5, result.Hidden);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void MomentEstimateAloneIsWithinPointOneAtD10M5(ulong seed)
    {
        // Learner issue: without refinement, w-error below 0.1 at (d, m, N) = (10, 5, 10^6).
        var teacher = RandomTeacher.Create(new TeacherOptions(10, 5), seed);
        var (_, cmp) = Learn(teacher, 1_000_000, seed, new LearnerOptions { Hidden = 5, Refine = false, Seed = seed });
        Assert.True(cmp.WError < 0.1, Describe(cmp));
    }

    [Fact]
    public void ChoosesTheNumberOfNeuronsFromTheSpectrum()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(10, 4), 11);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 11);
        var result = MomentLearner.Learn(source, new LearnerOptions { Seed = 11 });
        Assert.True(result.HiddenWasEstimated);
        Assert.Equal(4, result.Hidden);
        Assert.Equal(10, result.Spectrum.Count);
        Assert.True(Math.Abs(result.Spectrum[3]) > 2 * result.NoiseFloor && Math.Abs(result.Spectrum[4]) < 2 * result.NoiseFloor);
    }

    [Fact]
    public void AllZeroBiasesWhereT3Vanishes()
    {
        var teacher = Teacher(8, [1.0, -0.8, 1.2, -1.1], [0, 0, 0, 0], 21);
        var (_, cmp) = Learn(teacher, 1_000_000, 21);
        Assert.True(cmp.WError < Exact && cmp.AError < Exact && cmp.BError < Exact, Describe(cmp));
    }

    [Fact]
    public void BiasesPlusMinusOneWhereT4Vanishes()
    {
        var teacher = Teacher(8, [0.9, -1.2, 1.1, 0.7], [1, -1, 1, -1], 22);
        var (_, cmp) = Learn(teacher, 1_000_000, 22);
        Assert.True(cmp.WError < Exact && cmp.AError < Exact && cmp.BError < Exact, Describe(cmp));
    }

    [Fact]
    public void MixedSignOutputWeightsAndMEqualsD()
    {
        var teacher = Teacher(6, [1.0, -1.0, 0.7, -0.7, 1.3, -1.3], [0.5, -0.5, 1.2, -0.2, 0.0, 0.9], 23);
        var (_, cmp) = Learn(teacher, 2_000_000, 23);
        Assert.True(cmp.WError < Exact && cmp.AError < Exact && cmp.BError < Exact, Describe(cmp));
    }

    [Fact]
    public void IllConditionedWeightsWithSigmaMinAboutPointThree()
    {
        var teacher = IllConditioned(8, 4, 24);
        Assert.InRange(SmallestSingularValue(teacher), 0.299, 0.301);
        var (_, cmp) = Learn(teacher, 2_000_000, 24);
        Assert.True(cmp.WError < Exact && cmp.AError < Exact && cmp.BError < Exact, Describe(cmp));
    }

    [Fact]
    public void NoisyLabelsRefineToTheNoiseLevelNotBelowIt()
    {
        // y = f(x) + e, e ~ N(0, s^2), s = 0.1 std(f): the held-out MSE of a consistent estimate is s^2 plus an
        // O(p/n) estimation term (p = 77 parameters, n = 10^5 refinement samples: under 0.2% of s^2); a model
        // that overfits or underfits misses the band. The band's width covers the held-out sampling error
        // (std of the MSE estimate: s^2 sqrt(2/50000) = 0.6% of s^2) with room to spare.
        var teacher = RandomTeacher.Create(new TeacherOptions(10, 6), 31);
        double s = 0.1 * Math.Sqrt(NetworkComparison.TestError(new ReluNetwork(10, [], [], []), teacher, 200_000, 1).TruthVariance);
        var (result, cmp) = Learn(teacher, 2_000_000, 31, noise: s);
        double ratio = result.HeldOutMse / (s * s);
        Assert.InRange(ratio, 0.97, 1.03);
        Assert.True(cmp.WError < 0.01, Describe(cmp));
    }

    [Fact]
    public void MomentErrorFallsLikeOneOverRootN()
    {
        // Sixteen times the samples should divide the moment estimate's error by about four; the bound 2.5
        // leaves room for the fluctuation of a max over neurons of a single run.
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 4), 41);
        double Error(long n) => Learn(teacher, n, 41, new LearnerOptions { Hidden = 4, Refine = false, Seed = 41 }).Comparison.WError;
        double small = Error(250_000), large = Error(4_000_000);
        Assert.True(small / large > 2.5, $"w-error {small:G3} at N = 2.5e5, {large:G3} at N = 4e6");
    }

    [Fact]
    public void FloatAndDoubleSamplesGiveTheSameMomentEstimate()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 4), 51);
        var options = new LearnerOptions { Hidden = 4, Refine = false, Seed = 51 };
        var fromDouble = MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 500_000, 51), options).Network;
        var fromFloat = MomentLearner.Learn(new TeacherSampleSource<float>(teacher, 500_000, 51), options).Network;
        // Both see the same samples up to float rounding (relative 6e-8); the statistical error at this N is ~3e-2.
        var cmp = NetworkComparison.Compare(fromFloat, fromDouble, 10_000);
        Assert.True(cmp.WError < 1e-3 && cmp.AError < 1e-3 && cmp.BError < 1e-3, Describe(cmp));
    }

    [Fact]
    public void LinearDataGiveNoNeuronsAndTheLinearPart()
    {
        var linear = new ReluNetwork(5, [], [], [], 0.5, [1, -2, 0, 0.25, 3]);
        var source = new TeacherSampleSource<double>(linear, 200_000, 61);
        var result = MomentLearner.Learn(source, new LearnerOptions { Seed = 61 });
        Assert.Equal(0, result.Hidden);
        // Noiseless linear data: the least-squares fit of the linear remainder is exact up to round-off.
        Assert.Equal(0.5, result.Network.LinearBias, 1e-9);
        for (int k = 0; k < 5; k++) Assert.Equal(linear.LinearWeights[k], result.Network.LinearWeights[k], 1e-9);
    }

    [Fact]
    public void BadRequestsAreRejectedWithAMessageThatNamesTheProblem()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 71);
        var e1 = Assert.Throws<LearnerOptionException>(() => MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 100_000, 1),
            new LearnerOptions { Hidden = 7 }));
        Assert.Contains("m = 7 > d = 6", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 500, 1)));
        Assert.Contains("too few samples", e2.Message);

        var x = new double[2000 * 6];
        var y = new double[2000];
        new TeacherSampleSource<double>(teacher, 2000, 1).Read(0, x, y);
        y[1234] = double.NaN;
        var e3 = Assert.Throws<NonFiniteSampleException>(() => MomentLearner.Learn(new ArraySampleSource<double>(x, y, 6)));
        Assert.Contains("Sample 1234", e3.Message);
        Assert.Equal((1234L, -1), (e3.Index, e3.Column));
    }

    /// <summary>
    /// The in-memory prefix is read in blocks on several threads; a non-finite value is still reported as a sequential read meets
    /// it: the earliest sample, y before x, the first column, whichever block a thread finished first (double and float sources).
    /// </summary>
    [Fact]
    public void TheFirstNonFiniteSampleIsReportedWhicheverBlockIsReadFirst()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 71);
        const int N = 30_000;
        var x = new double[N * 6];
        var y = new double[N];
        new TeacherSampleSource<double>(teacher, N, 1).Read(0, x, y);
        x[4500 * 6 + 4] = double.NaN;
        x[4500 * 6 + 2] = double.PositiveInfinity;
        y[12_345] = double.NaN;
        y[25_000] = double.NegativeInfinity;
        var options = new LearnerOptions { Threads = 4 };
        var e1 = Assert.Throws<NonFiniteSampleException>(() => MomentLearner.Learn(new ArraySampleSource<double>(x, y, 6), options));
        Assert.Equal((4500L, 2), (e1.Index, e1.Column));
        var e2 = Assert.Throws<NonFiniteSampleException>(() => MomentLearner.Learn(
            new ArraySampleSource<float>(Array.ConvertAll(x, v => (float)v), Array.ConvertAll(y, v => (float)v), 6), options));
        Assert.Equal((4500L, 2), (e2.Index, e2.Column));
        y[4500] = double.NaN;
        var e3 = Assert.Throws<NonFiniteSampleException>(() => MomentLearner.Learn(new ArraySampleSource<double>(x, y, 6), options));
        Assert.Equal((4500L, -1), (e3.Index, e3.Column));
    }

    [ReluFast.Tests.Gpu.NoCudaFact]
    public void AskingForCudaWhereItIsAbsentIsAClearError()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 91);
        var e = Assert.Throws<ReluFast.Interop.DeviceUnavailableException>(() =>
            MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 100_000, 1),
                new LearnerOptions { Device = ReluFast.Interop.ComputeDevice.Cuda() }));
        Assert.Contains("cuda:0", e.Message);
    }

    [Fact]
    public void CancellationStopsTheRun()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 81);
        using var cts = new CancellationTokenSource();
        var progress = new CancelOnFirstPass(cts);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 50_000_000, 1), new LearnerOptions { Hidden = 3 }, progress, cts.Token));
        Assert.True(progress.Reports > 0);
    }

    [Fact]
    public void RefinementReportsItsIterations()
    {
        // at (784, 128) one refinement takes an hour: a listener hears the iterations, not only which candidate is refined
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 81);
        var reports = new List<LearningProgress>();
        var options = new LearnerOptions { Hidden = 3, Seed = 1 };
        MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 200_000, 1), options, new Collect(reports));
        var iterations = reports.Where(r => r.Stage == LearningStage.Refinement && r.Message.Contains("L-BFGS iteration ")).ToArray();
        Assert.NotEmpty(iterations);
        Assert.All(iterations, r => Assert.True(r.SamplesTotal == options.MaxRefinementIterations, $"{r}"));
        Assert.Contains(iterations, r => r.SamplesDone == 0 && r.Message.Contains("training MSE"));
    }

    private sealed class Collect(List<LearningProgress> reports) : IProgress<LearningProgress>
    {
        public void Report(LearningProgress value) => reports.Add(value);
    }

    private sealed class CancelOnFirstPass(CancellationTokenSource cts) : IProgress<LearningProgress>
    {
        public int Reports { get; private set; }

        public void Report(LearningProgress value)
        {
            Reports++;
            if (value.Stage == LearningStage.SecondMoments) cts.Cancel();
        }
    }

    private static string Describe(NetworkComparison c) =>
        $"w {c.WError:G3}, a {c.AError:G3}, b {c.BError:G3}, relative test MSE {c.RelativeTestMse:G3}";
}
