namespace ReluFast.IO;

/// <summary>
/// Converts a CSV file with a header into an x.npy (N x d) and y.npy (N) pair in one streaming pass,
/// holding only a block of rows in memory: the way to learn from a CSV too large to load. The
/// <c>.npy</c> files appear only when the whole CSV has been read; on an error or cancellation
/// nothing is left behind.
/// </summary>
public static class CsvConverter
{
    private const int BlockRows = 4096;

    /// <summary>Converts <paramref name="csvPath"/> into <paramref name="xPath"/> and <paramref name="yPath"/>.</summary>
    /// <param name="csvPath">The CSV file, with a header row.</param>
    /// <param name="targetColumn">The column holding y.</param>
    /// <param name="xPath">The .npy file to write for x (N x d, C order).</param>
    /// <param name="yPath">The .npy file to write for y (N).</param>
    /// <param name="options">The input columns and delimiter (by default: every other numeric column, delimiter detected).</param>
    /// <param name="dtype">The element type of the files.</param>
    /// <param name="progress">Receives the number of rows converted so far, after every block.</param>
    /// <param name="cancellationToken">Stops the conversion (no files are left).</param>
    /// <returns>The number of rows and the columns used.</returns>
    /// <exception cref="ReluFastDataException">A column is missing, a row is ragged, or a cell is not a finite number.</exception>
    public static CsvConversionResult ToNpy(string csvPath, string targetColumn, string xPath, string yPath,
        CsvReadOptions? options = null, NpyDType dtype = NpyDType.Float64, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var rows = CsvRowReader.Open(csvPath, targetColumn, options);
        int d = rows.Dimension;
        using var xw = NpyStreamWriter.CreateGrowable(xPath, dtype, d);
        using var yw = NpyStreamWriter.CreateGrowable(yPath, dtype);
        var xBlock = new double[BlockRows * d];
        var yBlock = new double[BlockRows];
        int n = 0;
        while (true)
        {
            bool more = rows.ReadRow(xBlock.AsSpan(n * d, d), out yBlock[n]);
            if (more) n++;
            if (n == BlockRows || (!more && n > 0))
            {
                cancellationToken.ThrowIfCancellationRequested();
                xw.WriteRows<double>(xBlock.AsSpan(0, n * d));
                yw.WriteRows<double>(yBlock.AsSpan(0, n));
                n = 0;
                progress?.Report(rows.RowsRead);
            }
            if (!more) break;
        }
        xw.Complete();
        yw.Complete();
        return new CsvConversionResult(rows.RowsRead, rows.Layout);
    }
}
