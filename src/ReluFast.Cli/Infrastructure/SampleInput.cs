using System.CommandLine;
using ReluFast.IO;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The options that name training samples, shared by <c>learn</c> and <c>report</c>: a pair of
/// <c>.npy</c> files (<c>--x</c>, <c>--y</c>), an <c>.npz</c> archive (<c>--data</c>, arrays <c>x</c> and
/// <c>y</c>), or a CSV file with a header (<c>--csv</c>, <c>--target</c>).
/// </summary>
internal sealed class SampleInput
{
    private SampleInput(bool required)
    {
        Required = required;
        X = CommonOptions.OptionalPath("--x", "Inputs: a .npy file of shape (N, d), float32 or float64, C or Fortran order (streamed, not loaded).");
        Y = CommonOptions.OptionalPath("--y", "Responses: a .npy file of shape (N,) or (N, 1), float32 or float64.");
        Data = CommonOptions.OptionalPath("--data",
            "Samples in one .npz archive holding arrays 'x' (N, d) and 'y' (N,) (as np.savez writes them; loaded into memory).");
        Csv = CommonOptions.OptionalPath("--csv",
            "Samples in a CSV file with a header row: y is the --target column, x every other column but --ignore-columns (loaded into memory).");
        Target = new Option<string?>("--target") { Description = "The CSV column that holds y (with --csv)." };
        IgnoreColumns = new Option<string[]>("--ignore-columns")
        {
            Description = "CSV columns that are neither input nor target, e.g. ids or text (with --csv; comma-separated or repeated).",
            AllowMultipleArgumentsPerToken = true,
        };
    }

    /// <summary>Whether some samples must be given.</summary>
    public bool Required { get; }

    /// <summary><c>--x</c>.</summary>
    public Option<string?> X { get; }

    /// <summary><c>--y</c>.</summary>
    public Option<string?> Y { get; }

    /// <summary><c>--data</c>.</summary>
    public Option<string?> Data { get; }

    /// <summary><c>--csv</c>.</summary>
    public Option<string?> Csv { get; }

    /// <summary><c>--target</c>.</summary>
    public Option<string?> Target { get; }

    /// <summary><c>--ignore-columns</c>.</summary>
    public Option<string[]> IgnoreColumns { get; }

    /// <summary>Creates the options; <paramref name="required"/> makes one of the three forms mandatory.</summary>
    public static SampleInput Create(bool required) => new(required);

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(X);
        command.Options.Add(Y);
        command.Options.Add(Data);
        command.Options.Add(Csv);
        command.Options.Add(Target);
        command.Options.Add(IgnoreColumns);
    }

    /// <summary>The samples named on the command line, or null when none are and none are required.</summary>
    /// <exception cref="CliUsageException">The forms are mixed, incomplete, or (when required) missing.</exception>
    public SampleSpec? Resolve(ParseResult parse)
    {
        string? x = parse.GetValue(X), y = parse.GetValue(Y), data = parse.GetValue(Data), csv = parse.GetValue(Csv), target = parse.GetValue(Target);
        string[] ignore = (parse.GetValue(IgnoreColumns) ?? [])
            .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        if (ignore.Length > 0 && csv is null) throw new CliUsageException("--ignore-columns applies to --csv only.");
        int forms = (x is not null || y is not null ? 1 : 0) + (data is not null ? 1 : 0) + (csv is not null ? 1 : 0);
        if (forms == 0)
        {
            if (target is not null) throw new CliUsageException("--target needs --csv FILE.");
            if (Required)
                throw new CliUsageException("no samples given: use --x X.npy --y Y.npy, or --data FILE.npz, or --csv FILE.csv --target COLUMN.");
            return null;
        }
        if (forms > 1) throw new CliUsageException("give the samples one way only: --x/--y, --data, or --csv.");
        if (x is not null || y is not null)
        {
            if (x is null) throw new CliUsageException("--y needs --x X.npy (the inputs) as well.");
            if (y is null) throw new CliUsageException("--x needs --y Y.npy (the responses) as well.");
            if (target is not null) throw new CliUsageException("--target applies to --csv only.");
            return new SampleSpec(SampleFormat.NpyPair, x, y, null);
        }
        if (data is not null)
        {
            if (target is not null) throw new CliUsageException("--target applies to --csv only; an .npz archive holds arrays 'x' and 'y'.");
            return new SampleSpec(SampleFormat.Npz, data, null, null);
        }
        if (target is null) throw new CliUsageException("--csv needs --target COLUMN, the column that holds y.");
        return new SampleSpec(SampleFormat.Csv, csv!, null, target) { CsvOptions = new CsvReadOptions { IgnoreColumns = ignore } };
    }
}

/// <summary>How training samples are stored.</summary>
internal enum SampleFormat
{
    /// <summary>Two <c>.npy</c> files, streamed.</summary>
    NpyPair,
    /// <summary>One <c>.npz</c> archive, loaded.</summary>
    Npz,
    /// <summary>A CSV file with a header, loaded.</summary>
    Csv,
}

/// <summary>Training samples as named on the command line.</summary>
/// <param name="Format">How they are stored.</param>
/// <param name="Path">The x file, the archive, or the CSV file.</param>
/// <param name="YPath">The y file of an .npy pair.</param>
/// <param name="Target">The target column of a CSV file.</param>
internal sealed record SampleSpec(SampleFormat Format, string Path, string? YPath, string? Target)
{
    /// <summary>How to read a CSV file (the columns to ignore).</summary>
    public CsvReadOptions? CsvOptions { get; init; }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => Format switch
    {
        SampleFormat.NpyPair => $"{Path} + {YPath}",
        SampleFormat.Csv => $"{Path} (target '{Target}')",
        _ => Path,
    };
}
