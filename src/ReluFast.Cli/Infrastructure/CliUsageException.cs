namespace ReluFast.Cli.Infrastructure;

/// <summary>An invalid option value or combination of options; reported as <c>error: message</c> with exit code 1.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
