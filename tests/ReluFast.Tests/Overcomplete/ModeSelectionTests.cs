using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.Learning;

namespace ReluFast.Tests.Overcomplete;

/// <summary>Choosing the full-rank or the overcomplete learner from the data, and the identifiability report.</summary>
public class ModeSelectionTests
{
    private static ModeDecision Choose(int d, int m, ulong seed, int? hidden = null, long samples = 1_000_000, double multiple = 2)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m, BiasRange: 1), seed);
        return ReluLearner.ChooseMode(new TeacherSampleSource<double>(teacher, samples, seed),
            new LearnerOptions { Hidden = hidden, NoiseFloorMultiple = multiple });
    }

    [Fact]
    public void FewerNeuronsThanInputsShowInTheSecondMomentAlone()
    {
        var decision = Choose(8, 4, 1);
        Assert.Equal(LearnerMode.FullRank, decision.Mode);
        Assert.Equal(4, decision.SecondMomentRank);
        Assert.Equal(4, decision.FlattenedRank);
        Assert.Null(decision.SuggestedHidden);
    }

    [Fact]
    public void AsManyNeuronsAsInputsNeedTheFlattenedSpectrumToRuleOutMore()
    {
        // Seed 2: mixed output signs leave an eigenvalue of T_2 under its noise floor; the flattened moments count all 8.
        // At N = 4*10^6 the eighth singular value (0.16) is 1.7 times the noise floor left by the first seven, so this
        // test counts with 1.5 x the floor instead of the default 2 (the learner's own rounds lower the floor further).
        var decision = Choose(8, 8, 2, samples: 4_000_000, multiple: 1.5);
        Assert.Equal(LearnerMode.FullRank, decision.Mode);
        string spectra = $"T_2 {string.Join(", ", decision.SecondMomentSpectrum.Select(v => v.ToString("G3")))} floor " +
            $"{decision.SecondMomentNoiseFloor:G3}; flattened {string.Join(", ", decision.FlattenedSpectrum.Select(v => v.ToString("G3")))} floors " +
            $"{string.Join(", ", decision.FlattenedResidualFloors.Select(v => v.ToString("G3")))}";
        Assert.True(decision.SecondMomentRank < 8, spectra);
        Assert.True(decision.FlattenedRank == 8, spectra);
        Assert.Equal(8, decision.SuggestedHidden);
    }

    [Fact]
    public void MoreNeuronsThanInputsChooseTheOvercompleteLearner()
    {
        var decision = Choose(8, 16, 3);
        Assert.Equal(LearnerMode.Overcomplete, decision.Mode);
        Assert.True(decision.FlattenedRank > 8, decision.Reason);
        Assert.Equal(36, decision.FlattenedSpectrum.Count);
    }

    [Fact]
    public void TheModeCheckReportsItsPassesAsSuch()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 4, BiasRange: 1), 4);
        var reports = new List<LearningProgress>();
        ReluLearner.ChooseMode(new TeacherSampleSource<double>(teacher, 200_000, 4), new LearnerOptions(), new Collect(reports));
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.True(r.ModeCheck));
        Assert.Contains(reports, r => r.Stage == LearningStage.SecondMoments && r.SamplesTotal == 200_000);
        Assert.Contains(reports, r => r.Stage == LearningStage.FlattenedMoments && r.SamplesTotal > 0);
    }

    [Fact]
    public void AutoStreamsPassOneOnceForTheModeCheckAndTheLearner()
    {
        // The check and the learner share pass 1 (t0, t1, T_2): one SecondMoments pass over the samples, not two.
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 4, BiasRange: 1), 4);
        var reports = new List<LearningProgress>();
        var result = ReluLearner.Learn(new TeacherSampleSource<double>(teacher, 200_000, 4), new LearnerOptions { Refine = false }, LearnerMode.Auto,
            new Collect(reports));
        int passes = reports.Count(r => r.Stage == LearningStage.SecondMoments
            && r.Message.StartsWith("SecondMoments: streaming", StringComparison.Ordinal));
        Assert.Equal(1, passes);
        Assert.Contains(reports, r => r.ModeCheck && r.Stage == LearningStage.FlattenedMoments);
        Assert.Equal(LearnerMode.FullRank, result.Mode);
        Assert.Contains("at most d neurons", result.Reason);
        Assert.True(result.Timings.ModeCheck > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, result.Timings.InputLaw); // the teacher's inputs are N(0, I): no input pass
    }

    private sealed class Collect(List<LearningProgress> reports) : IProgress<LearningProgress>
    {
        public void Report(LearningProgress value) { lock (reports) reports.Add(value); }
    }

    [Fact]
    public void AGivenMDecides()
    {
        Assert.Equal(LearnerMode.Overcomplete, Choose(6, 4, 4, hidden: 9).Mode);
        Assert.Equal(LearnerMode.FullRank, Choose(6, 4, 4, hidden: 4).Mode);
    }

    /// <summary>
    /// d = 5, m = 8 on 3*10^5 samples, teacher seeds 19 and 48: the mode check picks full rank (the flattened spectrum shows at
    /// most d neurons). Its fit used to leave variance unexplained (seed 19) or structure in its residual (seed 48), and auto's
    /// fallback to the overcomplete learner recovered them; with the neurons no refinement sample can place retired and the swap
    /// rounds refined on the whole refinement set, the full-rank learner's own swap rounds recover both, and the fallback is not
    /// needed. (Teacher seeds 1-60 of this size: none needs it now; the overcomplete-to-full-rank fallback below still fires.
    /// Since refinement fits y in units of its standard deviation, docs/algorithm.md section 10, seed 19 takes the fallback again
    /// and is recovered without a warning, seed 11 (counts 5 and 4) is recovered by the swap rounds, and seed 36 ends at 7 neurons,
    /// warned: both learners' fits leave 0.4 % of Var y unexplained.)
    /// </summary>
    [Theory]
    [InlineData(11UL)]
    [InlineData(48UL)]
    public void TheFullRankLearnersSwapRoundsRecoverWhatTheModeCheckUndercounts(ulong seed)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(5, 8, BiasRange: 1), seed);
        var source = new TeacherSampleSource<double>(teacher, 300_000, seed + 1);
        var options = new LearnerOptions { Seed = 1 };
        var decision = ReluLearner.ChooseMode(source, options);
        Assert.True(decision.Mode == LearnerMode.FullRank && Math.Max(decision.SecondMomentRank, decision.FlattenedRank) <= 5,
            $"precondition: the mode check undercounts here ({decision.Reason})");

        var result = ReluLearner.Learn(source, options);
        Assert.Equal(LearnerMode.FullRank, result.Mode);
        Assert.Contains(result.Log, l => l.StartsWith("swap round 1:", StringComparison.Ordinal) && l.EndsWith(": kept",
            StringComparison.Ordinal));
        Assert.Empty(result.Warnings);
        NetworkAssert.Recovered(result.Network, teacher, 1e-4);
    }

    [Fact]
    public void AutoTriesTheFullRankLearnerWhenTheOvercompleteFitLeavesVarianceUnexplained()
    {
        // d = 5, m = 8 on 3*10^5 samples (teacher seed 6): the flattened spectrum shows more than d neurons, and the overcomplete
        // learner stops at 5 of them (relative held-out MSE 9e-3); the full-rank learner's swap rounds go past d and fit exactly.
        var teacher = RandomTeacher.Create(new TeacherOptions(5, 8, BiasRange: 1), 6);
        var source = new TeacherSampleSource<double>(teacher, 300_000, 7);
        var options = new LearnerOptions { Seed = 1 };
        Assert.Equal(LearnerMode.Overcomplete, ReluLearner.ChooseMode(source, options).Mode);

        var result = ReluLearner.Learn(source, options);
        Assert.Equal(LearnerMode.FullRank, result.Mode);
        Assert.StartsWith("mode: FullRank (", result.Log[0], StringComparison.Ordinal);
        Assert.Contains("the overcomplete fit then left", result.Reason, StringComparison.Ordinal);
        Assert.Contains(result.Log, l => l.StartsWith("auto: the overcomplete fit left", StringComparison.Ordinal)
            && l.EndsWith("(kept: m = 8)", StringComparison.Ordinal));
        NetworkAssert.Recovered(result.Network, teacher, 1e-4);
    }

    [Fact]
    public void DiagnoseWithoutLearningCountsWhatTheFullRankLearnerWouldUse()
    {
        // The same data: T_2 shows 4 directions, the flattened moments 5, so the full-rank learner would run with m = 5.
        var teacher = RandomTeacher.Create(new TeacherOptions(5, 8, BiasRange: 1), 3);
        var report = ReluLearner.Diagnose(new TeacherSampleSource<double>(teacher, 300_000, 4), new LearnerOptions { Seed = 1 }, learn: false);
        Assert.Equal(LearnerMode.FullRank, report.Decision.Mode);
        Assert.True(report.Decision.SecondMomentRank == 4 && report.Decision.FlattenedRank == 5, report.Decision.Reason);
        // 5, from the spectra above, not the decision's own SuggestedHidden (the same code path): T_2's 4 would undercount.
        Assert.Equal(5, report.EstimatedHidden);
        Assert.Null(report.Learned);
    }

    [Fact]
    public void AutoKeepsAGoodFullRankFitWithoutTryingMore()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 6, BiasRange: 1), 7);
        var result = ReluLearner.Learn(new TeacherSampleSource<double>(teacher, 1_000_000, 8), new LearnerOptions { Seed = 1 });
        Assert.Equal(LearnerMode.FullRank, result.Mode);
        Assert.DoesNotContain(result.Log, l => l.StartsWith("auto:", StringComparison.Ordinal));
        Assert.True(result.HeldOutMse < 1e-6 * result.HeldOutVariance, $"relative held-out MSE {result.HeldOutMse / result.HeldOutVariance:G3}");
    }

    [Fact]
    public void DiagnoseReportsTheOvercompletePicture()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 16, BiasRange: 1), 2);
        var report = ReluLearner.Diagnose(new TeacherSampleSource<double>(teacher, 2_000_000, 1002), new LearnerOptions { Seed = 2 });
        Assert.Equal(LearnerMode.Overcomplete, report.Decision.Mode);
        Assert.Equal(16, report.EstimatedHidden);
        Assert.Equal(0, report.SigmaMinW);
        // The learned network is the teacher to round-off: the report's geometry is the teacher's, computed independently.
        double sigma = ReluFast.Tests.Model.IndependentReference.SigmaMinFlattened(teacher);
        Assert.True(Math.Abs(report.SigmaMinFlattened!.Value - sigma) < 1e-6,
            $"sigma_min of the flattened factors {report.SigmaMinFlattened} vs the teacher's {sigma}");
        double[] smallest = ReluFast.Tests.Model.IndependentReference.SmallestCoefficients(teacher);
        Assert.Equal(4, report.SmallestCoefficients.Count);
        for (int k = 0; k < 4; k++)
            Assert.True(Math.Abs(report.SmallestCoefficients[k] - smallest[k]) < 1e-6,
                $"min |c_{k + 2}(b_i)|: {report.SmallestCoefficients[k]} vs the teacher's {smallest[k]}");
        Assert.NotNull(report.Learned);
        Assert.DoesNotContain(report.Warnings, w => w.Contains("does not explain", StringComparison.Ordinal));
    }

    [Fact]
    public void DiagnoseWarnsAboutAlmostDependentDirections()
    {
        // Two neurons 0.05 rad apart: sigma_min(W) is tiny, and the report says why that matters.
        const int d = 6;
        var baseTeacher = RandomTeacher.Create(new TeacherOptions(d, 3), 5);
        var w = baseTeacher.W.ToArray();
        for (int k = 0; k < d; k++) w[d + k] = w[k] + 0.05 * (k % 2 == 0 ? 1 : -1);
        var teacher = new ReluNetwork(d, baseTeacher.A, w, baseTeacher.B).Normalized();
        var report = ReluLearner.Diagnose(new TeacherSampleSource<double>(teacher, 1_000_000, 5), new LearnerOptions { Hidden = 3, Seed = 5 });
        Assert.Equal(LearnerMode.FullRank, report.Decision.Mode);
        Assert.True(report.SigmaMinW < 0.1);
        Assert.Contains(report.Warnings, x => x.Contains("sigma_min(W)", StringComparison.Ordinal));
    }
}
