using System.CommandLine;

namespace ReluFast.Cli.Infrastructure;

/// <summary>The options several commands share, created fresh for each command.</summary>
internal static class CommonOptions
{
    /// <summary><c>--quiet</c>: print nothing but errors (and the JSON when <c>--json</c> is given).</summary>
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print nothing but errors (no summary, no progress bars)." };

    /// <summary><c>--json</c>: one JSON object on standard output instead of the human-readable summary.</summary>
    public static Option<bool> Json(string what) => new("--json") { Description = $"Print {what} as one JSON object on standard output (no progress bars)." };

    /// <summary>A required file option whose value is a path.</summary>
    public static Option<string> RequiredPath(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>An optional file option whose value is a path.</summary>
    public static Option<string?> OptionalPath(string name, string description) => new(name) { Description = description };
}
