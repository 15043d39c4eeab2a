namespace ReluFast.IO;

/// <summary>Which CSV columns became the samples.</summary>
/// <param name="Source">The CSV file (or source name).</param>
/// <param name="TargetColumn">The column read as y.</param>
/// <param name="FeatureColumns">The columns read as x, in order (d = their count).</param>
/// <param name="SkippedColumns">Columns neither target nor feature (non-numeric, or not chosen).</param>
public sealed record CsvLayout(string? Source, string TargetColumn, IReadOnlyList<string> FeatureColumns, IReadOnlyList<string> SkippedColumns);
