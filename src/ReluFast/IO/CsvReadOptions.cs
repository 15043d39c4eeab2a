namespace ReluFast.IO;

/// <summary>How to read samples from a CSV file (besides the target column, which is always named).</summary>
public sealed class CsvReadOptions
{
    /// <summary>
    /// The input columns x, in order. When <see langword="null"/>, every column other than the target and the
    /// <see cref="IgnoreColumns"/>; every cell of an input column must be a finite number.
    /// </summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }

    /// <summary>Columns that are neither input nor target (ids, text), when <see cref="FeatureColumns"/> is not given.</summary>
    public IReadOnlyList<string>? IgnoreColumns { get; init; }

    /// <summary>The field delimiter; <see langword="null"/> detects it from the header (comma, tab, semicolon, pipe).</summary>
    public char? Delimiter { get; init; }
}
