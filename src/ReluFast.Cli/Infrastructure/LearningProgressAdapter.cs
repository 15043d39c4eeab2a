using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>Feeds the learner's <see cref="LearningProgress"/> reports to the progress display, one bar per streaming pass.</summary>
internal sealed class LearningProgressAdapter(IPassProgress sink, string? prefix = null) : IProgress<LearningProgress>
{
    /// <summary>Wraps <paramref name="sink"/>, or returns null when there is nothing to show.</summary>
    public static IProgress<LearningProgress>? For(IPassProgress? sink, string? prefix = null) =>
        sink is null ? null : new LearningProgressAdapter(sink, prefix);

    /// <inheritdoc/>
    public void Report(LearningProgress value)
    {
        string name = value.Stage switch
        {
            LearningStage.Pilot => "pilot and held-out samples",
            LearningStage.SecondMoments => "pass 1: t0, t1, T_2",
            LearningStage.ProjectedTensor => "pass 2: projected T_3 + T_4",
            LearningStage.Coefficients => "pass 3: Hermite coefficients",
            LearningStage.Refinement => "refinement (L-BFGS)",
            LearningStage.Decomposition => "decomposition",
            LearningStage.FlattenedMoments => "span pass: flattened T_4, T_5",
            LearningStage.InputLaw => "input pass: mean, covariance, Gaussianity",
            _ => "done",
        };
        if (value.ModeCheck) name = "mode check: " + name;
        string? unit = value.Stage == LearningStage.Refinement ? null : "samples";
        // Steps that stream nothing (decomposition, done) report a zero total: no bar, but the previous bar stops.
        sink.Report(prefix is null ? name : $"{prefix} {name}", unit, value.SamplesDone, value.SamplesTotal, value.Elapsed);
    }
}
