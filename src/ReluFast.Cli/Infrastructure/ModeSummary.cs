using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>Which learner produced a result and why, for the summaries of <c>relufast learn</c>.</summary>
/// <param name="Mode">The mode that ran (<c>full-rank</c> or <c>overcomplete</c>).</param>
/// <param name="Requested">The <c>--mode</c> given (<c>auto</c>, <c>full-rank</c> or <c>overcomplete</c>).</param>
/// <param name="Reason">One line: the evidence when the mode was chosen, or that it was forced.</param>
internal sealed record ModeSummary(string Mode, string Requested, string Reason)
{
    private const string LogPrefix = "mode: ";

    /// <summary>
    /// Reads the reason from the first line of the result's log (<c>mode: Name (reason)</c>, written by
    /// <see cref="ReluLearner.Learn{T}"/> when it chose, or by <see cref="ModePlacement"/> when the CLI did).
    /// </summary>
    public static ModeSummary Of(LearningResult result, LearnerMode requested)
    {
        string reason = requested == LearnerMode.Auto ? "chosen from the data" : "forced by --mode";
        if (result.Log.Count > 0 && result.Log[0].StartsWith(LogPrefix, StringComparison.Ordinal))
        {
            string line = result.Log[0][LogPrefix.Length..];
            int open = line.IndexOf(" (", StringComparison.Ordinal);
            reason = open >= 0 && line.EndsWith(')') ? line[(open + 2)..^1] : line;
        }
        return new ModeSummary(ModeOption.Name(result.Mode), ModeOption.Name(requested), reason);
    }
}
