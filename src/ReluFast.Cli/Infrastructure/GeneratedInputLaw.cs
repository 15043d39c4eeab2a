using System.Globalization;
using ReluFast.IO;
using ReluFast.Sampling;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The law of x that <c>relufast generate --input-mean M --input-condition K</c> draws its samples from
/// (<see cref="InputDistribution.Random"/> on the teacher's seed + 2), and its record in teacher.json's metadata, so that
/// <c>evaluate</c> and <c>report</c> test a model on the inputs its samples came from rather than on N(0, I).
/// </summary>
internal static class GeneratedInputLaw
{
    /// <summary>The metadata field naming the program that wrote the teacher.</summary>
    public const string GeneratorKey = "generator";

    /// <summary>The value of <see cref="GeneratorKey"/> that <c>relufast generate</c> writes.</summary>
    public const string Generator = "relufast generate";

    /// <summary>Where test samples come from when no law is recorded.</summary>
    public const string StandardDescription = "x ~ N(0, I)";

    /// <summary>The metadata fields: the teacher's seed, M and K.</summary>
    public const string SeedKey = "seed", MeanKey = "inputMean", ConditionKey = "inputCondition";

    /// <summary>The law for d inputs, M and K on the teacher's seed; null for N(0, I) (M = 0, K = 1).</summary>
    /// <exception cref="ArgumentException">M or K is out of range, or d is above <see cref="InputDistribution.MaxRandomDimension"/>.</exception>
    public static InputDistribution? Create(int d, double meanRange, double condition, ulong teacherSeed) =>
        meanRange == 0 && condition == 1 ? null : InputDistribution.Random(d, condition, meanRange, teacherSeed + 2);

    /// <summary>The metadata fields that record M and K (with <see cref="SeedKey"/>, written beside them).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Fields(double meanRange, double condition) =>
    [
        new(MeanKey, meanRange.ToString("R", CultureInfo.InvariantCulture)),
        new(ConditionKey, condition.ToString("R", CultureInfo.InvariantCulture)),
    ];

    /// <summary>
    /// The law recorded in a teacher file's metadata (null when <c>relufast generate</c> did not write it, or wrote N(0, I), as
    /// teachers from before the law's options do) and the line that says where test samples come from.
    /// </summary>
    /// <exception cref="ReluFastDataException">The file says it comes from <c>relufast generate</c> but a field of the law does not
    /// parse, is out of range, or the law's d is over its limit; the message names the file and the field.</exception>
    public static (InputDistribution? Law, string Description) FromMetadata(IReadOnlyDictionary<string, string> metadata, int d, string path)
    {
        if (!metadata.TryGetValue(GeneratorKey, out string? generator) || generator != Generator) return (null, StandardDescription);
        bool hasMean = metadata.ContainsKey(MeanKey), hasCondition = metadata.ContainsKey(ConditionKey);
        if (!hasMean && !hasCondition) return (null, StandardDescription);
        double meanRange = hasMean ? Number(metadata, MeanKey, path) : 0;
        double condition = hasCondition ? Number(metadata, ConditionKey, path) : 1;
        if (!metadata.TryGetValue(SeedKey, out string? seedText)
            || !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
            throw new ReluFastDataException(path, $"metadata.{SeedKey} must be the teacher's seed (an unsigned integer) when it records " +
                $"an input law, found {Quote(seedText)}.");
        var inv = CultureInfo.InvariantCulture;
        InputDistribution? law;
        try
        {
            law = Create(d, meanRange, condition, seed);
        }
        catch (ArgumentException e)
        {
            throw new ReluFastDataException(path, string.Create(inv, $"the input law in its metadata ({MeanKey} {meanRange:R}, ") +
                string.Create(inv, $"{ConditionKey} {condition:R}): {ErrorReporter.MessageOf(e)}"), e);
        }
        return law is null
            ? (null, StandardDescription)
            : (law, string.Create(inv, $"x ~ N(mu, Sigma) as generated (mean range {meanRange:G4}, condition number {condition:G4})"));
    }

    private static double Number(IReadOnlyDictionary<string, string> metadata, string key, string path)
    {
        string text = metadata[key];
        // .NET's parser takes trailing NULs; a field with any control character is not a number as generate writes it
        if (text.AsSpan().IndexOfAnyInRange('\0', '\u001f') >= 0
            || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new ReluFastDataException(path, $"metadata.{key} must be a finite number (relufast generate's input law), found {Quote(text)}.");
        return value;
    }

    private static string Quote(string? text) => text is null ? "nothing" :
        text.Length <= 40 ? $"\"{CsvRowReader.Visible(text)}\"" : $"\"{CsvRowReader.Visible(text[..40])}...\" ({text.Length} characters)";
}
