using System.Numerics;
using ReluFast.Sampling;

namespace ReluFast.IO;

/// <summary>
/// Loads samples from a CSV file with a header: y is a named target column, x the other numeric
/// columns (or a chosen list). Parsing is done by Sylvan.Data.Csv; quoted fields, any of the common
/// delimiters and a byte order mark are handled. The samples are held in memory; for files too
/// large for that, convert them once with <see cref="CsvConverter.ToNpy"/> and stream the <c>.npy</c> files.
/// </summary>
public static class CsvSampleReader
{
    /// <summary>Reads every row of <paramref name="path"/> into an in-memory sample source named after the file.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="targetColumn">The column holding y.</param>
    /// <param name="options">The input columns and delimiter (by default: every other numeric column, delimiter detected).</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="ReluFastDataException">
    /// A column is missing (the message lists those there are), a row is ragged, or a cell is empty, not a
    /// number or not finite (the message gives the row and column).
    /// </exception>
    public static ArraySampleSource<T> Load<T>(string path, string targetColumn, CsvReadOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        using var rows = CsvRowReader.Open(path, targetColumn, options);
        return Load<T>(rows, cancellationToken);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/> (which is disposed) into an in-memory sample source.</summary>
    /// <param name="reader">The CSV text.</param>
    /// <param name="targetColumn">The column holding y.</param>
    /// <param name="options">The input columns and delimiter.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    public static ArraySampleSource<T> Load<T>(TextReader reader, string targetColumn, CsvReadOptions? options = null, string? sourceName = null,
        CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        using var rows = CsvRowReader.Open(reader, sourceName, targetColumn, options);
        return Load<T>(rows, cancellationToken);
    }

    /// <summary>Reads only the header and first row of <paramref name="path"/> and tells which columns would be used.</summary>
    public static CsvLayout ReadLayout(string path, string targetColumn, CsvReadOptions? options = null)
    {
        using var rows = CsvRowReader.Open(path, targetColumn, options);
        return rows.Layout;
    }

    private static ArraySampleSource<T> Load<T>(CsvRowReader rows, CancellationToken cancellationToken)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = rows.Dimension;
        var xs = new List<T>();
        var ys = new List<T>();
        var row = new double[d];
        while (rows.ReadRow(row, out double y))
        {
            if ((rows.RowsRead & 4095) == 0) cancellationToken.ThrowIfCancellationRequested();
            if ((long)xs.Count + d > Array.MaxLength)
                throw new ReluFastDataException(rows.Layout.Source,
                    $"the CSV has more than {Array.MaxLength / d} rows of {d} inputs, too many to hold in memory; convert it with " +
                    $"CsvConverter.ToNpy and stream the .npy files.");
            foreach (double v in row) xs.Add(T.CreateTruncating(v));
            ys.Add(T.CreateTruncating(y));
        }
        return new ArraySampleSource<T>(xs.ToArray(), ys.ToArray(), d, rows.Layout.Source);
    }
}
