using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>Which learner produced a result and why, for the summaries of <c>relufast learn</c>.</summary>
/// <param name="Mode">The mode that ran (<c>full-rank</c> or <c>overcomplete</c>).</param>
/// <param name="Requested">The <c>--mode</c> given (<c>auto</c>, <c>full-rank</c> or <c>overcomplete</c>).</param>
/// <param name="Reason">One line: the evidence when the mode was chosen, or that it was forced.</param>
internal sealed record ModeSummary(string Mode, string Requested, string Reason)
{
    /// <summary>The mode and its reason as the library reports them (<see cref="LearningResult.Reason"/>).</summary>
    public static ModeSummary Of(LearningResult result, LearnerMode requested) =>
        new(ModeOption.Name(result.Mode), ModeOption.Name(requested), requested == LearnerMode.Auto ? result.Reason : "forced by --mode");
}
