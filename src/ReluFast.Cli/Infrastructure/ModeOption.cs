using System.CommandLine;
using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary><c>--mode auto|full-rank|overcomplete</c>: which learner runs, and the names the CLI uses for the modes.</summary>
internal static class ModeOption
{
    /// <summary>Choose from the data.</summary>
    public const string Auto = "auto";

    /// <summary>The full-rank learner (m &lt;= d).</summary>
    public const string FullRank = "full-rank";

    /// <summary>The overcomplete learner (m up to d(d+1)/2).</summary>
    public const string Overcomplete = "overcomplete";

    /// <summary>Creates the option (default <c>auto</c>; any other value is a parse error, exit code 1).</summary>
    public static Option<string> Create(string description)
    {
        var option = new Option<string>("--mode") { Description = description, DefaultValueFactory = _ => Auto };
        option.AcceptOnlyFromAmong(Auto, FullRank, Overcomplete);
        return option;
    }

    /// <summary>The mode named <paramref name="value"/> (one of the accepted names).</summary>
    public static LearnerMode Parse(string? value) => value switch
    {
        FullRank => LearnerMode.FullRank,
        Overcomplete => LearnerMode.Overcomplete,
        Auto or null => LearnerMode.Auto,
        _ => throw new CliUsageException($"--mode must be {Auto}, {FullRank} or {Overcomplete}, got '{value}'."),
    };

    /// <summary>The CLI's name of <paramref name="mode"/>.</summary>
    public static string Name(LearnerMode mode) => mode switch
    {
        LearnerMode.FullRank => FullRank,
        LearnerMode.Overcomplete => Overcomplete,
        _ => Auto,
    };
}
