using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The learner's warnings as the first lines of a human-readable summary: a result that its own evidence contradicts is
/// announced before anything else, not only in the log at the end (where each warning also stood, in its place in time).
/// </summary>
internal static class SummaryWarnings
{
    /// <summary>Writes one "warning: ..." line per warning of <paramref name="result"/>, in the order they were raised.</summary>
    public static void Write(TextWriter output, LearningResult result)
    {
        foreach (var warning in result.Warnings) output.WriteLine(warning.ToString());
    }

    /// <summary>The log without the warnings' own lines (already printed first by <see cref="Write"/>).</summary>
    public static IEnumerable<string> LogWithoutWarnings(LearningResult result)
    {
        var printed = result.Warnings.Select(w => w.ToString()).ToHashSet(StringComparer.Ordinal);
        return result.Log.Where(line => !printed.Contains(line));
    }
}
