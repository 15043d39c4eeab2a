using System.Numerics.Tensors;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>End-to-end runs of the overcomplete learner (docs/algorithm.md section 11) and its low-error mode (sections 1 and 11.4).</summary>
public class OvercompleteLearnerTests
{
    [Fact]
    public void RecoversANoiselessTeacherWithTwiceAsManyNeuronsAsInputs()
    {
        // The (d, m) = (8, 16), b uniform in [-1, 1]; m is estimated from the data.
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 16, BiasRange: 1), 1);
        var source = new TeacherSampleSource<double>(teacher, 2_000_000, 1001);
        var result = OvercompleteLearner.Learn(source, new LearnerOptions { Seed = 1 });
        var cmp = NetworkComparison.Compare(result.Network, teacher, 100_000);
        Assert.Equal(16, result.Network.Hidden);
        Assert.True(cmp.WError < 1e-3 && cmp.AError < 1e-3 && cmp.BError < 1e-3, $"w {cmp.WError}, a {cmp.AError}, b {cmp.BError}");
        Assert.True(cmp.RelativeTestMse < 1e-10, $"relative test MSE {cmp.RelativeTestMse}");
        Assert.Equal(LearnerMode.Overcomplete, result.Mode);
        Assert.Equal(36, result.FlattenedSpectrum.Count);
        Assert.True(result.FlattenedNoiseFloor > 0);
    }

    [Fact]
    public void AFitThatLeavesVarianceUnexplainedSaysSo()
    {
        // Ten neurons in d = 6 learned with m = 6 given: the refined fit cannot explain y, and the overcomplete learner now
        // carries the full-rank learner's UnexplainedVariance warning (one rule, ConditioningChecks.Unexplained).
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 10, BiasRange: 1), 4);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 1004);
        var result = OvercompleteLearner.Learn(source, new LearnerOptions { Seed = 4, Hidden = 7 });
        double relative = result.HeldOutMse / result.HeldOutVariance;
        Assert.True(relative > ConditioningChecks.MaximumRefinedRelativeMse, $"relative held-out MSE {relative}");
        var warning = Assert.Single(result.Warnings, w => w.Code == LearningWarningCode.UnexplainedVariance);
        Assert.Contains("overcomplete network", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheProjectedPencilPathAlsoRecovers()
    {
        // Round 1 with the projected pass Q4, Q5_k and slice pencils as extra candidates and seeds.
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 10, BiasRange: 1), 4);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 1004);
        var result = OvercompleteLearner.Learn(source, new LearnerOptions { Seed = 4, Hidden = 10, OvercompletePencil = true });
        var cmp = NetworkComparison.Compare(result.Network, teacher, 100_000);
        Assert.True(cmp.WError < 1e-3 && cmp.AError < 1e-3 && cmp.BError < 1e-3, $"w {cmp.WError}, a {cmp.AError}, b {cmp.BError}");
        Assert.Contains(result.Log, line => line.StartsWith("pencil 0:", StringComparison.Ordinal));
        Assert.Contains(result.Log, line => line.StartsWith("projected slices", StringComparison.Ordinal));
    }

    [Fact]
    public void LowErrorModeReturnsTheVisibleNeuronsAndAbsorbsTheRestInTheLinearRemainder()
    {
        // Ten visible neurons (b in [-1, 1]) and two that N = 2*10^6 samples cannot see as neurons:
        // b = +8 acts as the linear function a (<w,x> + 8), b = -8 is never active.
        const int d = 8;
        var visible = RandomTeacher.Create(new TeacherOptions(d, 10, BiasRange: 1), 12);
        var extra = RandomTeacher.Create(new TeacherOptions(d, 2), 13);
        var teacher = new ReluNetwork(d, [.. visible.A, 1.2, -0.9], [.. visible.W, .. extra.W], [.. visible.B, 8, -8]);
        var source = new TeacherSampleSource<double>(teacher, 2_000_000, 14);
        var result = OvercompleteLearner.Learn(source, new LearnerOptions { Hidden = 12, Seed = 3 });
        Assert.Equal(10, result.Network.Hidden);
        var cmp = NetworkComparison.Compare(result.Network, teacher, 200_000);
        Assert.True(cmp.RelativeTestMse < 1e-3, $"relative test MSE {cmp.RelativeTestMse}");
        // Every visible neuron is found (up to the flip) and the linear remainder carries the b = +8 neuron.
        for (int i = 0; i < visible.Hidden; i++)
        {
            double best = Enumerable.Range(0, result.Network.Hidden)
                .Max(j => Math.Abs(TensorPrimitives.Dot(visible.WeightsOf(i), result.Network.WeightsOf(j))));
            Assert.True(best > 0.999, $"visible neuron {i}: best |cos| {best}");
        }
        Assert.NotNull(result.Absorbed);
        Assert.Contains("linear remainder", result.Absorbed);
        Assert.Contains(result.Log, line => line.Contains("warning: only", StringComparison.Ordinal));
    }

    [Fact]
    public void NoisyLabelsRefineToTheNoiseLevelNotBelowIt()
    {
        // y = f(x) + e, e ~ N(0, s^2), s = 0.1 std(f), m estimated from the data: the held-out MSE of a consistent estimate
        // is s^2 plus an O(p/n) estimation term (p = 87 parameters, n = 10^5 refinement samples: under 0.1% of s^2), and
        // the held-out estimate itself (3*10^4 samples here) has a relative standard deviation of sqrt(2/30000) = 0.8%; an overfitted or
        // underfitted network misses the band. The overcomplete learner's rounds use the previous network as control
        // variate, so the noise must not be mistaken for neurons.
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 10, BiasRange: 1), 4);
        double s = 0.1 * Math.Sqrt(NetworkComparison.TestError(new ReluNetwork(6, [], [], []), teacher, 200_000, 1).TruthVariance);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 1004, noiseStd: s);
        var result = OvercompleteLearner.Learn(source, new LearnerOptions { Seed = 4 });
        Assert.Equal(10, result.Network.Hidden);
        Assert.InRange(result.HeldOutMse / (s * s), 0.97, 1.03);
        var cmp = NetworkComparison.Compare(result.Network, teacher, 100_000);
        Assert.True(cmp.WError < 0.05 && cmp.RelativeTestMse < 1e-3,
            $"w {cmp.WError}, a {cmp.AError}, b {cmp.BError}, relative test MSE {cmp.RelativeTestMse}");
        // Once a fully refined round stops improving, the rounds end instead of refining the same network again.
        Assert.Contains(result.Log, line => line.Contains("stopping (label noise", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsMoreNeuronsThanTheFlatteningCanSeparate()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(3, 4), 1);
        var source = new TeacherSampleSource<double>(teacher, 100_000, 1);
        var error = Assert.Throws<LearnerOptionException>(() => OvercompleteLearner.Learn(source, new LearnerOptions { Hidden = 7 }));
        Assert.Contains("d(d+1)/2", error.Message);
    }
}
