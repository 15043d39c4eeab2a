using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>
/// An overcomplete round whose every direction comes back with |b| beyond the reliable bias (a kink that fewer than 1000 of
/// the samples cross) has found no neuron it can return: the learner must say so with the linear-only warning, as when
/// nothing stands above the noise floor, not return a network of 0 neurons without a word. The teacher: one neuron with
/// b = 3.6 (a kink crossed by a fraction 1.6e-4 of the inputs, 160 of 10^6 samples) and a large a, so that its fourth-order
/// moment a c_4(b) stands far above the flattened noise floor once the quadratic control variate has removed the linear part.
/// </summary>
public class AllDroppedTests
{
    [Fact]
    public void ARoundWhoseNeuronsAreAllBeyondTheReliableBiasReturnsTheLinearOnlyAnswerWithItsWarning()
    {
        const int d = 3;
        var teacher = new ReluNetwork(d, [40.0], [1.0, 0, 0], [3.6]);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 7);
        var result = ReluLearner.Learn(source, new LearnerOptions { Seed = 1 }, LearnerMode.Overcomplete);
        Assert.Contains(result.Log, line => line.Contains("dropped", StringComparison.Ordinal));
        Assert.Equal(0, result.Network.Hidden);
        Assert.Contains(result.Warnings, w => w.Code == LearningWarningCode.LinearOnly && w.Message.Contains("kink"));
        // one round, not five identical ones
        Assert.DoesNotContain(result.Log, line => line.StartsWith("round 2", StringComparison.Ordinal));
        // the linear answer explains the data to the neuron's rare kink: y is linear on all but about 1.6e-4 of the inputs
        Assert.True(result.HeldOutMse <= 1e-4 * result.HeldOutVariance, $"held-out MSE {result.HeldOutMse} vs Var y {result.HeldOutVariance}");
    }
}
