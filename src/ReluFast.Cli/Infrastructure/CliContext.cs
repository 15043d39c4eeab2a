using Spectre.Console;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Where a command writes and what it may show: standard output and error (the real console, or
/// captured writers in tests), whether live progress bars can be drawn, and the token Ctrl-C cancels.
/// </summary>
internal sealed class CliContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="output">Standard output: results, summaries, JSON.</param>
    /// <param name="error">Standard error: errors, and progress bars when <paramref name="interactiveError"/>.</param>
    /// <param name="interactiveError">Whether <paramref name="error"/> is a terminal that can show live progress.</param>
    /// <param name="cancellation">Cancelled by Ctrl-C.</param>
    public CliContext(TextWriter output, TextWriter error, bool interactiveError, CancellationToken cancellation)
    {
        Output = output;
        Error = error;
        InteractiveError = interactiveError;
        Cancellation = cancellation;
    }

    /// <summary>Standard output.</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether standard error is a terminal (progress bars are drawn there).</summary>
    public bool InteractiveError { get; }

    /// <summary>Cancelled when the user presses Ctrl-C.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>The context of the real process: the console's streams; progress only when stderr is a terminal.</summary>
    public static CliContext ForConsole(CancellationToken cancellation) =>
        new(Console.Out, Console.Error, !Console.IsErrorRedirected, cancellation);

    /// <summary>A Spectre console writing to <see cref="Output"/> (colours only on a real terminal).</summary>
    public IAnsiConsole CreateOutputConsole() => CreateConsole(Output, ReferenceEquals(Output, Console.Out) && !Console.IsOutputRedirected);

    /// <summary>A Spectre console drawing on <see cref="Error"/> (used for progress bars).</summary>
    public IAnsiConsole CreateErrorConsole() => CreateConsole(Error, InteractiveError);

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
    });
}
