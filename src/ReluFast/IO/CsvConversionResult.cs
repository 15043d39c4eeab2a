namespace ReluFast.IO;

/// <summary>What <see cref="CsvConverter.ToNpy"/> wrote.</summary>
/// <param name="Rows">The number of samples N.</param>
/// <param name="Layout">Which columns became x and y.</param>
public sealed record CsvConversionResult(long Rows, CsvLayout Layout);
