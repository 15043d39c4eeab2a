using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>
/// The mode check's work is bounded (issue 13 item 4, issue 18): the flattened survey costs about d^4 / 8 multiply-adds per sample
/// and D x D matrices, so it runs only where D = d(d+1)/2 is at most <see cref="ReluLearner.MaximumSurveyDimension"/> and
/// where it can change the decision; and it answers on a single block of samples.
/// </summary>
public class ModeCheckBoundsTests
{
    /// <summary>x ~ N(0, I_d) and y = sum_j x_j^2 (all d eigenvalues of T_2 equal 2): the input of issue 18's first case.</summary>
    private static ArraySampleSource<double> SumOfSquares(int d, int n)
    {
        var x = new double[n * d];
        new CounterGaussian(18, key: 50).Fill(0, x);
        var y = new double[n];
        for (int j = 0; j < n; j++)
            for (int k = 0; k < d; k++) y[j] += x[j * d + k] * x[j * d + k];
        return new ArraySampleSource<double>(x, y, d);
    }

    [Fact]
    public void AtD50TheFlattenedCheckIsSkippedRatherThanRunOnD1275()
    {
        // Before: the span pass on D = 1275 (about 2.6 10^6 multiply-adds per sample) and residual floors of D^4 work: no answer
        // after minutes. Now the decision comes from T_2 alone and says why.
        var decision = ReluLearner.ChooseMode(SumOfSquares(50, 100_000), new LearnerOptions());
        Assert.Equal(LearnerMode.FullRank, decision.Mode);
        Assert.Equal(50, decision.SecondMomentRank);
        Assert.Equal(-1, decision.FlattenedRank);
        Assert.Equal(0, decision.FlattenedSamples);
        Assert.Empty(decision.FlattenedSpectrum);
        Assert.Contains("skipped for D = d(d+1)/2 = 1275 > 300", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AllDirectionsInT2OnTooFewSamplesForTheOvercompleteLearnerSkipTheCheck()
    {
        // d = 12 (D = 78 <= 300): the check could only show more than d neurons, and the overcomplete learner needs 4 D^2 = 24336
        // samples; on 20000 it would have nothing to run, so the check is not run either.
        var decision = ReluLearner.ChooseMode(SumOfSquares(12, 20_000), new LearnerOptions());
        Assert.Equal(LearnerMode.FullRank, decision.Mode);
        Assert.Equal(12, decision.SecondMomentRank);
        Assert.Equal(-1, decision.FlattenedRank);
        Assert.Contains("at least 24336 samples", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("flattened check is skipped", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheResidualFloorsStopShortlyAfterTheCount()
    {
        // Each residual floor is an eigen-decomposition of size D - k; all D of them cost about D^4 / 4. The count needs only
        // the floors up to the first value that does not stand above its floor; a few more are kept for diagnose's table.
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 4, BiasRange: 1), 1);
        var decision = ReluLearner.ChooseMode(new TeacherSampleSource<double>(teacher, 1_000_000, 1), new LearnerOptions());
        Assert.Equal(4, decision.FlattenedRank);
        Assert.Equal(36, decision.FlattenedSpectrum.Count);
        Assert.Equal(decision.FlattenedRank + 5, decision.FlattenedResidualFloors.Count);
    }

    [Fact]
    public void TheSpanPassAnswersOnASingleBlockOfSamples()
    {
        // N = 3000 fits in one block of 4096: the split halves (blocks alternate between them) used to leave one half empty,
        // and auto and the overcomplete learner failed with "The accumulator is empty." on valid data.
        var teacher = RandomTeacher.Create(new TeacherOptions(3, 2, BiasRange: 1), 3);
        var source = new TeacherSampleSource<double>(teacher, 3000, 3);
        var decision = ReluLearner.ChooseMode(source, new LearnerOptions { Threads = 1 });
        Assert.Equal(3000, decision.FlattenedSamples);
        Assert.True(decision.FlattenedNoiseFloor > 0 && double.IsFinite(decision.FlattenedNoiseFloor), $"floor {decision.FlattenedNoiseFloor}");
        var learned = ReluLearner.Learn(source, new LearnerOptions { Threads = 1, OvercompleteRounds = 1 }, LearnerMode.Overcomplete);
        Assert.True(learned.FlattenedNoiseFloor > 0, $"floor {learned.FlattenedNoiseFloor}");
    }
}
