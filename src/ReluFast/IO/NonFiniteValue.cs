using System.Globalization;

namespace ReluFast.IO;

/// <summary>A NaN or infinite value found in a data source: where it is and what it is.</summary>
/// <param name="Source">The file (or source name) it is in, or <see langword="null"/>.</param>
/// <param name="Row">The 0-based sample (row) index.</param>
/// <param name="Column">The 0-based column (input coordinate; 0 for a 1-D array of labels).</param>
/// <param name="Value">The value: NaN, +infinity or -infinity.</param>
public readonly record struct NonFiniteValue(string? Source, long Row, long Column, double Value)
{
    /// <summary>A sentence naming the row, column and value, without the file name.</summary>
    public string Problem =>
        $"row {Row.ToString(CultureInfo.InvariantCulture)} (0-based), column {Column.ToString(CultureInfo.InvariantCulture)} holds " +
        $"{Describe(Value)}; every value must be a finite number.";

    /// <summary>The exception a consumer throws for this value.</summary>
    public ReluFastDataException ToException() => new(Source, Problem);

    /// <inheritdoc/>
    public override string ToString() => Source is null ? Problem : $"{Source}: {Problem}";

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity";
}
