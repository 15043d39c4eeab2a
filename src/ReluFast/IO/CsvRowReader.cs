using System.Globalization;
using Sylvan.Data.Csv;

namespace ReluFast.IO;

/// <summary>
/// Reads numeric samples row by row from a CSV file with a header (parsing by Sylvan.Data.Csv):
/// resolves the target and feature columns, and reports missing columns, ragged rows and cells that
/// are not finite numbers by row and column.
/// </summary>
internal sealed class CsvRowReader : IDisposable
{
    private readonly CsvDataReader _csv;
    private readonly string? _source;
    private readonly int[] _featureOrdinals;
    private readonly int _targetOrdinal;
    private readonly string[] _names;
    private bool _pending;

    private CsvRowReader(CsvDataReader csv, string? source, string targetColumn, CsvReadOptions options)
    {
        _csv = csv;
        _source = source;
        _names = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToArray();
        if (_names.Length == 0 || (_names.Length == 1 && _names[0].Length == 0))
            throw new ReluFastDataException(source, "the CSV file is empty: it needs a header row naming the columns.");
        var duplicate = _names.Select((n, i) => (n, i)).GroupBy(p => p.n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ReluFastDataException(source,
                $"the header names column '{duplicate.Key}' more than once (columns {string.Join(", ", duplicate.Select(p => p.i + 1))}); " +
                "every column must have its own name, so that the target and the inputs are not ambiguous.");
        _targetOrdinal = Ordinal(targetColumn, "target");

        _pending = Advance();
        if (!_pending)
            throw new ReluFastDataException(source, "the CSV file has a header but no data rows.");

        var ignored = new HashSet<int>();
        foreach (string name in options.IgnoreColumns ?? [])
        {
            int i = Ordinal(name, "ignored");
            if (i == _targetOrdinal) throw new ReluFastDataException(source, $"column '{targetColumn}' is the target, so it cannot be ignored.");
            ignored.Add(i);
        }
        if (options.FeatureColumns is { } chosen)
        {
            if (ignored.Count > 0) throw new ReluFastDataException(source, "give either the input columns or the columns to ignore, not both.");
            if (chosen.Count == 0) throw new ReluFastDataException(source, "the list of input columns is empty.");
            _featureOrdinals = chosen.Select(c => Ordinal(c, "input")).ToArray();
            if (_featureOrdinals.Contains(_targetOrdinal))
                throw new ReluFastDataException(source, $"column '{targetColumn}' is the target, so it cannot also be an input.");
            var dup = chosen.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new ReluFastDataException(source, $"input column '{dup.Key}' is listed twice.");
        }
        else
        {
            // Every column but the target and the ignored ones is an input: a cell that is not a number is an error naming its
            // row and column (never a reason to drop the column silently).
            _featureOrdinals = Enumerable.Range(0, _names.Length).Where(i => i != _targetOrdinal && !ignored.Contains(i)).ToArray();
            if (_featureOrdinals.Length == 0)
                throw new ReluFastDataException(source,
                    $"besides the target '{targetColumn}'{(ignored.Count > 0 ? " and the ignored columns" : "")} there is no column, " +
                    $"so there are no inputs; the columns are: {ColumnList()}.");
        }
        var used = new HashSet<int>(_featureOrdinals) { _targetOrdinal };
        Layout = new CsvLayout(source, _names[_targetOrdinal],
            _featureOrdinals.Select(i => _names[i]).ToArray(),
            Enumerable.Range(0, _names.Length).Where(i => !used.Contains(i)).Select(i => _names[i]).ToArray());
    }

    /// <summary>The longest CSV row read (in characters): a bound on the reader's buffer.</summary>
    public const int MaxRowChars = 1 << 20;

    /// <summary>Opens <paramref name="reader"/> (which this object then owns) and reads the header and the first row.</summary>
    public static CsvRowReader Open(TextReader reader, string? source, string targetColumn, CsvReadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(targetColumn);
        options ??= new CsvReadOptions();
        var csvOptions = new CsvDataReaderOptions
        {
            HasHeaders = true, OwnsReader = true, Culture = CultureInfo.InvariantCulture, MaxBufferSize = MaxRowChars,
        };
        if (options.Delimiter is char delimiter) csvOptions.Delimiter = delimiter;
        CsvDataReader csv;
        try
        {
            csv = CsvDataReader.Create(reader, csvOptions);
        }
        catch (CsvRecordTooLargeException e)
        {
            reader.Dispose();
            throw new ReluFastDataException(source, $"the header row is longer than {MaxRowChars} characters, the limit of one CSV row.", e);
        }
        catch (CsvMissingHeadersException e)
        {
            reader.Dispose();
            throw new ReluFastDataException(source, "the CSV file is empty: it needs a header row naming the columns.", e);
        }
        catch (Exception e) when (e is CsvFormatException or InvalidDataException)
        {
            reader.Dispose();
            throw new ReluFastDataException(source, $"the header row cannot be read: {e.Message}", e);
        }
        try
        {
            return new CsvRowReader(csv, source, targetColumn, options);
        }
        catch
        {
            csv.Dispose();
            throw;
        }
    }

    /// <summary>Opens the CSV file at <paramref name="path"/>.</summary>
    public static CsvRowReader Open(string path, string targetColumn, CsvReadOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var reader = new StreamReader(InputFile.OpenStream(path), detectEncodingFromByteOrderMarks: true);
        return Open(reader, path, targetColumn, options);
    }

    /// <summary>The columns in use.</summary>
    public CsvLayout Layout { get; }

    /// <summary>The input dimension d.</summary>
    public int Dimension => _featureOrdinals.Length;

    /// <summary>Data rows returned so far.</summary>
    public long RowsRead { get; private set; }

    /// <summary>Reads the next row into <paramref name="x"/> (d values) and <paramref name="y"/>; false at the end.</summary>
    public bool ReadRow(Span<double> x, out double y)
    {
        if (!_pending && !Advance())
        {
            y = 0;
            return false;
        }
        _pending = false;
        long row = RowsRead + 1;
        if (_csv.RowFieldCount != _names.Length)
            throw new ReluFastDataException(_source,
                $"data row {row} has {_csv.RowFieldCount} fields but the header has {_names.Length}: the rows are ragged.");
        for (int j = 0; j < _featureOrdinals.Length; j++) x[j] = Cell(_featureOrdinals[j], row);
        y = Cell(_targetOrdinal, row);
        RowsRead = row;
        return true;
    }

    public void Dispose() => _csv.Dispose();

    private bool Advance()
    {
        try
        {
            while (_csv.Read())
            {
                // A blank line (one empty field where the header has several) is not a sample.
                if (_csv.RowFieldCount == 1 && _names.Length > 1 && _csv.GetFieldSpan(0).IsWhiteSpace()) continue;
                return true;
            }
            return false;
        }
        catch (CsvRecordTooLargeException e)
        {
            throw new ReluFastDataException(_source,
                $"data row {RowsRead + 1} is longer than {MaxRowChars} characters, the limit of one CSV row.", e);
        }
        catch (Exception e) when (e is CsvFormatException or InvalidDataException)
        {
            throw new ReluFastDataException(_source, $"the CSV is malformed after data row {RowsRead}: {e.Message}", e);
        }
    }

    private double Cell(int ordinal, long row)
    {
        var text = _csv.GetFieldSpan(ordinal);
        if (TryParse(text, out double v))
        {
            if (double.IsFinite(v)) return v;
            throw new ReluFastDataException(_source,
                $"data row {row}, column '{_names[ordinal]}' holds '{text.ToString()}', which is not a finite number; every value must be finite.");
        }
        string shown = Visible(text.Length <= 40 ? text.ToString() : text[..40].ToString() + "...");
        throw new ReluFastDataException(_source,
            text.Trim().IsEmpty
                ? $"data row {row}, column '{_names[ordinal]}' is empty; every input and target cell must hold a number."
                : $"data row {row}, column '{_names[ordinal]}' holds '{shown}', which is not a number.");
    }

    /// <summary>The text with control and non-ASCII characters written as \uXXXX, so that a NUL or a Unicode minus shows.</summary>
    internal static string Visible(string text) =>
        string.Concat(text.Select(ch => ch < ' ' || ch > '~' ? $"\\u{(int)ch:X4}" : ch.ToString()));

    private static bool TryParse(ReadOnlySpan<char> text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private int Ordinal(string name, string role)
    {
        int i = Array.IndexOf(_names, name);
        if (i >= 0) return i;
        throw new ReluFastDataException(_source, $"there is no {role} column '{name}'; the columns are: {ColumnList()}.");
    }

    private string ColumnList() => string.Join(", ", _names.Select(n => $"'{n}'"));
}
