namespace ReluFast.IO;

/// <summary>How to read samples from a CSV file (besides the target column, which is always named).</summary>
public sealed class CsvReadOptions
{
    /// <summary>
    /// The input columns x, in order. When <see langword="null"/>, every column other than the target
    /// whose value in the first data row is a number (columns of text, such as ids, are skipped).
    /// </summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }

    /// <summary>The field delimiter; <see langword="null"/> detects it from the header (comma, tab, semicolon, pipe).</summary>
    public char? Delimiter { get; init; }
}
