using System.Diagnostics;
using System.IO.Compression;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// <c>dotnet pack</c> makes the ReluFast library package and the relufast tool, and the tool installs
/// from a local folder and runs. Slow (a Release publish and a 140 MB package with libtorch); it uses
/// only the local folder as package source, so it runs offline. Skip it with
/// <c>--filter "Category!=Packaging"</c>.
/// </summary>
public class ToolPackageTests
{
    [Fact]
    [Trait("Category", "Packaging")]
    public void PackedToolInstallsFromALocalFolderAndRuns()
    {
        string root = RepositoryRoot();
        using var dir = new TempDirectory();
        string packages = Path.Combine(dir.Path, "packages"), tools = Path.Combine(dir.Path, "tools");
        Dotnet(root, "pack", "src/ReluFast", "-c", "Release", "-o", packages, "--disable-build-servers");
        Dotnet(root, "pack", "src/ReluFast.Cli", "-c", "Release", "-o", packages, "--disable-build-servers");

        string version = Path.GetFileNameWithoutExtension(Directory.GetFiles(packages, "ReluFast.Cli.*.nupkg")
            .Single(p => !Path.GetFileName(p).Contains("linux", StringComparison.Ordinal)
                && !Path.GetFileName(p).Contains("win", StringComparison.Ordinal)
                && !Path.GetFileName(p).Contains("osx", StringComparison.Ordinal)))["ReluFast.Cli.".Length..];
        Assert.Single(Directory.GetFiles(packages, $"ReluFast.Cli.*-*.{version}.nupkg")); // the host's RID-specific package

        // The library package: README, XML docs, symbols and the repository commit (source link metadata).
        using (var library = ZipFile.OpenRead(Path.Combine(packages, $"ReluFast.{version}.nupkg")))
        {
            var names = library.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("README.md", names);
            Assert.Contains("lib/net10.0/ReluFast.dll", names);
            Assert.Contains("lib/net10.0/ReluFast.xml", names);
            Assert.Contains("buildTransitive/ReluFast.targets", names);
            using var nuspec = new StreamReader(library.GetEntry("ReluFast.nuspec")!.Open());
            string text = nuspec.ReadToEnd();
            Assert.Contains("<readme>README.md</readme>", text);
            Assert.Matches("<repository [^>]*commit=\"[0-9a-f]{40}\"", text);
        }
        Assert.True(File.Exists(Path.Combine(packages, $"ReluFast.{version}.snupkg")));

        string config = Path.Combine(dir.Path, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        Dotnet(dir.Path, "tool", "install", "ReluFast.Cli", "--tool-path", tools, "--configfile", config, "--version", version);
        string relufast = Path.Combine(tools, OperatingSystem.IsWindows() ? "relufast.exe" : "relufast");
        var (code, output) = Execute(relufast, dir.Path, "--version");
        Assert.True(code == 0, output);
        Assert.StartsWith(version, output.Trim());
        // The installed tool loads libtorch (the Debian 12 libstdc++ fix is in the packed copy too).
        (code, output) = Execute(relufast, dir.Path, "info");
        Assert.True(code == 0, output);
        Assert.Contains("libtorch", output);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ReluFast.sln"))) return folder.FullName;
        throw new InvalidOperationException($"No ReluFast.sln above {AppContext.BaseDirectory}.");
    }

    private static void Dotnet(string workingDirectory, params string[] args)
    {
        var (code, output) = Execute("dotnet", workingDirectory, args);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited with {code}:\n{output}");
    }

    private static (int Code, string Output) Execute(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        // The test host runs under 'dotnet test': keep its MSBuild settings away from the nested builds.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
            || k == "DOTNET_HOST_PATH").ToArray())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 8 minutes.");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
