using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>
/// The README's largest overcomplete result end to end: d = 12, m = 30 (m = 2.5 d, D = 78), N = 5*10^6, m estimated from
/// the data, with the settings of <c>benchmarks ... overcomplete</c> (seed 1 of its ten: teacher seed 1, samples seed 1001,
/// refinement on 10^5 samples, 5*10^4 held out). The README reports w-errors 3e-10 .. 9e-10 over the ten seeds.
/// </summary>
public class ReadmeOvercompleteResultTests
{
    [Fact]
    public void TwelveInputsAndThirtyNeuronsAreRecoveredToRoundOff()
    {
        const int d = 12, m = 30;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m, BiasRange: 1), 1);
        var source = new TeacherSampleSource<double>(teacher, 5_000_000, 1001);
        var result = OvercompleteLearner.Learn(source, new LearnerOptions { Seed = 1, RefinementSamples = 100_000, HeldOutSamples = 50_000 });
        var cmp = NetworkComparison.Compare(result.Network, teacher, 100_000);
        string errors = $"m = {result.Network.Hidden}, w {cmp.WError:G3}, a {cmp.AError:G3}, b {cmp.BError:G3}, relative test MSE " +
            $"{cmp.RelativeTestMse:G3}";
        Assert.True(result.HiddenWasEstimated);
        Assert.True(result.Network.Hidden == m, errors);
        // Bounds: the README's worst error (9e-10) with a factor of 1000 of margin; the test MSE is the square of that scale.
        Assert.True(cmp.WError < 1e-6 && cmp.AError < 1e-6 && cmp.BError < 1e-6, errors);
        Assert.True(cmp.RelativeTestMse < 1e-12, errors);
    }
}
