using System.Text.Json;
using ReluFast.Cli;

namespace ReluFast.Tests.Cli;

/// <summary>Runs <c>relufast</c> in-process with captured output.</summary>
internal static class Cli
{
    public static CliRun Run(params string[] args) => Run(CancellationToken.None, args);

    public static CliRun Run(CancellationToken cancellation, params string[] args)
    {
        var (code, output, error) = CliApp.RunCaptured(args, cancellation);
        return new CliRun(args, code, output, error);
    }
}

/// <summary>One in-process run: exit code and what was printed.</summary>
internal sealed record CliRun(string[] Args, int ExitCode, string Output, string Error)
{
    /// <summary>Asserts exit code 0 (printing the streams otherwise).</summary>
    public CliRun Succeeded()
    {
        Assert.True(ExitCode == 0, $"relufast {string.Join(' ', Args)} exited with {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}");
        return this;
    }

    /// <summary>Asserts exit code 1 with one <c>error:</c> line holding every phrase and no stack trace.</summary>
    public CliRun FailedWithBadInput(params string[] phrases)
    {
        Assert.True(ExitCode == 1, $"relufast {string.Join(' ', Args)} exited with {ExitCode}, expected 1\nstdout:\n{Output}\nstderr:\n{Error}");
        Assert.StartsWith("error: ", Error);
        foreach (string phrase in phrases) Assert.Contains(phrase, Error);
        NoStackTrace();
        return this;
    }

    /// <summary>Asserts nothing in stderr looks like a .NET stack trace.</summary>
    public void NoStackTrace()
    {
        Assert.DoesNotContain("   at ", Error);
        Assert.DoesNotContain("Exception:", Error);
    }

    /// <summary>Parses standard output as exactly one JSON object.</summary>
    public JsonElement Json()
    {
        using var doc = JsonDocument.Parse(Output);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        return doc.RootElement.Clone();
    }
}
