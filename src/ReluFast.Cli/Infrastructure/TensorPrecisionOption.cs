using System.CommandLine;
using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary><c>--tensor-precision mixed|sample</c>: the arithmetic of pass 2's 3-tensors (<see cref="LearnerOptions.TensorPrecision"/>).</summary>
internal static class TensorPrecisionOption
{
    /// <summary>float32 products and tile sums, float64 totals, for float64 samples (the default).</summary>
    public const string Mixed = "mixed";

    /// <summary>Every product in the samples' type.</summary>
    public const string Sample = "sample";

    /// <summary>Creates the option (default <c>mixed</c>; any other value is a parse error, exit code 1).</summary>
    public static Option<string> Create()
    {
        var option = new Option<string>("--tensor-precision")
        {
            Description = "Arithmetic of pass 2's 3-tensors for float64 samples: mixed (default: float32 products and partial sums over " +
                "tiles of at most a few thousand samples, float64 totals; the rounding is far below the sampling error, and the pass " +
                "1.3x faster or more) or sample (every product in the samples' type).",
            DefaultValueFactory = _ => Mixed,
        };
        option.AcceptOnlyFromAmong(Mixed, Sample);
        return option;
    }

    /// <summary>The precision named <paramref name="value"/> (one of the accepted names).</summary>
    public static TensorPrecision Parse(string? value) => value switch
    {
        Mixed or null => TensorPrecision.Mixed,
        Sample => TensorPrecision.SampleType,
        _ => throw new CliUsageException($"--tensor-precision must be {Mixed} or {Sample}, got '{value}'."),
    };
}
