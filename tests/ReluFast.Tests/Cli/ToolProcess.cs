using System.Diagnostics;

namespace ReluFast.Tests.Cli;

/// <summary>
/// Runs the built relufast (ReluFast.Cli.dll beside this assembly) as its own process, for what only a process has: the
/// console, the dynamic loader, the runtime's JIT profile (<see cref="Cli"/> runs it in-process).
/// </summary>
internal static class ToolProcess
{
    /// <summary>Runs relufast with <paramref name="args"/> and extra environment variables; fails the test after 5 minutes.</summary>
    public static (int Code, string Output, string Error) Run(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "ReluFast.Cli.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        start.ArgumentList.Add(cli);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"relufast {string.Join(' ', args)} did not finish in 5 minutes");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
