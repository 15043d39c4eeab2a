using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// <see cref="TensorPrecision.Mixed"/>, the default: pass 2's 3-tensor products in float32 with float64 totals (for float64
/// samples on the CPU). Their rounding, about 1e-7 of the sums' terms, must stay far below the sums' sampling error.
/// </summary>
public class TensorPrecisionTests
{
    /// <summary>
    /// (12, 6) and (64, 25) from 10^6 float64 samples, the method of moments alone: the estimate's w error against the teacher is
    /// its sampling error (1e-2 to 1e-1 here); the float32 products move it by their rounding times the decomposition's conditioning, orders of
    /// magnitude less. Bound: 1 % of the sampling error. A lost, doubled or misplaced step of samples in the float32 tiles would
    /// move the sums by their statistical error, as far as the estimate is from the teacher. Every candidate's pencil must be well
    /// separated in both runs: the estimate is then a continuous function of the sums, where a pencil with coinciding eigenvalues
    /// is not (at (28, 25), a nearly square W, candidate 2's pencil had relative eigen-gap 0, its held-out MSE came out at 0.053
    /// and 0.078 from the two precisions' sums, and each run returned another candidate).
    /// </summary>
    [Theory]
    [InlineData(12, 6)] // the sample lanes, tiles rounded in place
    [InlineData(64, 25)] // past them: a float32 accumulator per block
    public void FloatProductsMoveTheMomentEstimateByFarLessThanItsSamplingError(int d, int m)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), 17);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 18);
        LearningResult Learn(TensorPrecision precision) => MomentLearner.Learn(source,
            new LearnerOptions { Hidden = m, Refine = false, Seed = 3, Threads = 2, TensorPrecision = precision });
        LearningResult mixed = Learn(TensorPrecision.Mixed), sample = Learn(TensorPrecision.SampleType);
        foreach (LearningCandidate candidate in mixed.Candidates.Concat(sample.Candidates))
            Assert.True(candidate.RelativeEigenGap >= ConditioningChecks.MinimumRelativeGap,
                $"the case's pencils are not separated: candidate {candidate.Index}'s relative eigen-gap {candidate.RelativeEigenGap:G3}");

        double sampling = NetworkComparison.Compare(sample.Network, teacher, 10_000).WError;
        double between = NetworkComparison.Compare(mixed.Network, sample.Network, 10_000).WError;
        Assert.InRange(sampling, 1e-4, 0.5); // a moment estimate, not a refined one
        Assert.True(between > 0, "the option reached pass 2: the float32 products change the sums' last bits");
        Assert.True(between <= 0.01 * sampling, $"float32 products moved w by {between:G3}; the sampling error is {sampling:G3}");
    }

    [Fact]
    public void TheDefaultIsMixed() => Assert.Equal(TensorPrecision.Mixed, new LearnerOptions().TensorPrecision);
}
