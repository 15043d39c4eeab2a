using System.CommandLine;
using System.CommandLine.Help;
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
            ParseResult parse = Program.BuildRoot(context).Parse(args);
            // Parse errors are bad input: System.CommandLine prints them with the usage and returns 1.
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

    /// <summary>Runs <paramref name="args"/> with captured output; for tests and embedding.</summary>
    public static (int ExitCode, string Output, string Error) RunCaptured(string[] args, CancellationToken cancellation = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Run(args, new CliContext(output, error, interactiveError: false, cancellation));
        return (code, output.ToString(), error.ToString());
    }
}
