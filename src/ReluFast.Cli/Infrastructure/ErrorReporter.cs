using System.Reflection;
using ReluFast.IO;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The single top-level error handler: one line <c>error: message</c> on standard error and an exit
/// code (1 bad input, 2 failure, 130 cancelled). The stack trace is printed only when the environment
/// variable <c>RELUFAST_DEBUG</c> is <c>1</c> (or <c>true</c>).
/// </summary>
internal static class ErrorReporter
{
    /// <summary>The environment variable that turns on stack traces.</summary>
    public const string DebugVariable = "RELUFAST_DEBUG";

    /// <summary>Prints <paramref name="exception"/> to <paramref name="error"/> and returns the exit code for it.</summary>
    /// <param name="exception">What went wrong.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="debug">Print the stack trace too; by default when <see cref="DebugVariable"/> is set.</param>
    public static int Report(Exception exception, TextWriter error, bool? debug = null)
    {
        try
        {
            return ReportCore(exception, error, debug ?? DebugEnabled);
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            // The handler itself must never crash the process with a stack trace.
            try { error.WriteLine($"error: {exception.Message}"); } catch (IOException) { }
            return ExitCodes.Failure;
        }
    }

    private static int ReportCore(Exception exception, TextWriter error, bool debug)
    {
        exception = Unwrap(exception);
        int code = Classify(exception);
        error.WriteLine(code == ExitCodes.Cancelled
            ? "error: cancelled; no output file was written."
            : $"error: {MessageOf(exception)}");
        if (debug) error.WriteLine(exception.ToString());
        error.Flush();
        return code;
    }

    /// <summary>
    /// The message of <paramref name="exception"/> as a user should read it: an <see cref="ArgumentException"/>'s
    /// " (Parameter 'name')" suffix, which names a C# parameter the user never saw, is left off.
    /// </summary>
    public static string MessageOf(Exception exception)
    {
        string message = exception.Message;
        if (exception is ArgumentException { ParamName: { Length: > 0 } name })
        {
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }
        return message;
    }

    /// <summary>The exit code for an exception: 1 for bad input, 130 for cancellation, 2 for anything else.</summary>
    public static int Classify(Exception exception) => Unwrap(exception) switch
    {
        OperationCanceledException => ExitCodes.Cancelled,
        ReluFastDataException or CliUsageException or ArgumentException => ExitCodes.BadInput,
        ReluFast.Interop.DeviceUnavailableException => ExitCodes.BadInput,
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => ExitCodes.BadInput,
        _ => ExitCodes.Failure,
    };

    private static bool DebugEnabled
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(DebugVariable);
            return value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static Exception Unwrap(Exception exception)
    {
        while (true)
        {
            // Parallel work fails once per worker on the same input: exceptions that all get one exit code are reported as the first.
            if (exception is AggregateException aggregate
                && aggregate.Flatten().InnerExceptions is { Count: > 0 } all && all.All(e => Classify(e) == Classify(all[0])))
                exception = all[0];
            else if (exception is TargetInvocationException { InnerException: Exception inner }) exception = inner;
            else return exception;
        }
    }
}
