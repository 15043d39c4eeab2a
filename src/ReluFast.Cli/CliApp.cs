using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using ReluFast.Cli.Infrastructure;

namespace ReluFast.Cli;

/// <summary>
/// The entry point of <c>relufast</c> as a function: parses <c>args</c>, runs the command, and turns
/// every exception into one <c>error:</c> line and an exit code. Tests call it with captured writers.
/// </summary>
internal static partial class CliApp
{
    /// <summary>The command name in usage lines: the tool's command, whatever the executable file is called.</summary>
    public const string CommandName = "relufast";

    /// <summary>
    /// The root command, named <see cref="CommandName"/> (a <see cref="RootCommand"/> takes the name of the
    /// executable, <c>ReluFast.Cli</c>), with <c>--help</c> and <c>--version</c>.
    /// </summary>
    public static Command CreateRoot(string description) => new(CommandName, description)
    {
        new HelpOption(),
        new VersionOption(),
    };

    /// <summary>Runs the command line <paramref name="args"/> and returns the process exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            // A bare 'relufast' shows the commands.
            ParseResult parse = Program.BuildRoot(context).Parse(args.Length == 0 ? ["--help"] : args);
            if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
            {
                // Bad input in the command line itself: the same one-line errors as every other bad input,
                // and a pointer to the usage (instead of the whole help text on standard output).
                foreach (var error in parse.Errors) context.Error.WriteLine($"error: {OneLine(error)}");
                context.Error.WriteLine($"Run '{CommandPath(parse.CommandResult.Command)} --help' for the usage.");
                return ExitCodes.BadInput;
            }
            return parse.Invoke(new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e, context.Error);
        }
        finally
        {
            context.Output.Flush();
        }
    }

    /// <summary>A parse error on one line (a list of accepted values after the colon), naming the option whose value it rejects.</summary>
    private static string OneLine(ParseError error)
    {
        string[] lines = error.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        string message = lines.Length == 0 ? "" : lines[0] + (lines.Length > 1 ? " " + string.Join(", ", lines[1..]) : "");
        if (NotParsed().Match(message) is { Success: true } m)
            return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {Expected(m.Groups["type"].Value)}.";
        OptionResult? option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        return option is null || message.Contains(option.Option.Name, StringComparison.Ordinal) ? message : $"{option.Option.Name}: {message}";
    }

    /// <summary>System.CommandLine's message for a value its option's type cannot hold, which names a .NET type.</summary>
    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.?$")]
    private static partial Regex NotParsed();

    /// <summary>What a value of the .NET type <paramref name="type"/> must be, in the user's words.</summary>
    private static string Expected(string type)
    {
        const string nullable = "System.Nullable`1[";
        if (type.StartsWith(nullable, StringComparison.Ordinal) && type.EndsWith(']')) type = type[nullable.Length..^1];
        return type switch
        {
            "System.Int32" => $"an integer from {int.MinValue} to {int.MaxValue}",
            "System.Int64" => $"an integer from {long.MinValue} to {long.MaxValue}",
            "System.UInt64" => $"an integer from 0 to {ulong.MaxValue}",
            "System.Int32[]" or "System.Int64[]" => "a list of integers",
            "System.Double" => "a number",
            _ => $"a value of type {type}",
        };
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command c; symbol = c.Parents.FirstOrDefault()) names.Insert(0, c.Name);
        return string.Join(' ', names);
    }

    /// <summary>Runs <paramref name="args"/> with captured output; for tests and embedding.</summary>
    public static (int ExitCode, string Output, string Error) RunCaptured(string[] args, CancellationToken cancellation = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Run(args, new CliContext(output, error, interactiveError: false, cancellation));
        return (code, output.ToString(), error.ToString());
    }
}
