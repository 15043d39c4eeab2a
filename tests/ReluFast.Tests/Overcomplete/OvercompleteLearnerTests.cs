using System.Numerics.Tensors;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>End-to-end runs of the overcomplete learner (ALGORITHM.md section 6) and its low-error mode (section 1).</summary>
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
            double best = Enumerable.Range(0, result.Network.Hidden).Max(j => Math.Abs(TensorPrimitives.Dot(visible.WeightsOf(i), result.Network.WeightsOf(j))));
            Assert.True(best > 0.999, $"visible neuron {i}: best |cos| {best}");
        }
        Assert.NotNull(result.Absorbed);
        Assert.Contains("linear remainder", result.Absorbed);
        Assert.Contains(result.Log, line => line.Contains("warning: only", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsMoreNeuronsThanTheFlatteningCanSeparate()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(3, 4), 1);
        var source = new TeacherSampleSource<double>(teacher, 100_000, 1);
        var error = Assert.Throws<ArgumentException>(() => OvercompleteLearner.Learn(source, new LearnerOptions { Hidden = 7 }));
        Assert.Contains("d(d+1)/2", error.Message);
    }
}
