using ReluFast.Evaluation;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The <c>relufast evaluate --json</c> object, exactly
/// <c>{"wError": .., "aError": .., "bError": .., "testMse": .., "relativeTestMse": ..}</c>;
/// infinite errors (a missing or extra neuron) are written as 1.7976931348623157E+308 (see <see cref="JsonNumbers"/>).
/// </summary>
internal static class ComparisonJson
{
    /// <summary>The JSON text of <paramref name="comparison"/>.</summary>
    public static string ToJson(NetworkComparison comparison) => JsonNumbers.Object(w =>
    {
        JsonNumbers.Write(w, "wError", comparison.WError);
        JsonNumbers.Write(w, "aError", comparison.AError);
        JsonNumbers.Write(w, "bError", comparison.BError);
        JsonNumbers.Write(w, "testMse", comparison.TestMse);
        JsonNumbers.Write(w, "relativeTestMse", comparison.RelativeTestMse);
    });
}
