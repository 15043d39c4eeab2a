using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using ReluFast.Cli.Infrastructure;

namespace ReluFast.Cli;

/// <summary>
/// The entry point of <c>relufast</c> as a function: parses <c>args</c>, runs the command, and turns
/// every exception into one <c>error:</c> line and an exit code. Tests call it with captured writers.
/// </summary>
internal static class CliApp
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
        OptionResult? option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        return option is null || message.Contains(option.Option.Name, StringComparison.Ordinal) ? message : $"{option.Option.Name}: {message}";
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
