using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// The tool's multicore-JIT profile (issue 16, item 4; <c>JitProfile</c>): a successful command leaves exactly one profile
/// for itself in the profile folder and nothing else, the next run replays it and writes the same model, a damaged profile is
/// replaced, and a failed run, the off switch and an unusable folder leave the folder (and the command) as they were. Each run is its own process,
/// since the profile belongs to the process's runtime.
/// </summary>
public sealed class JitProfileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data()
    {
        string data = Path.Combine(_dir.Path, "data");
        Cli.Run("generate", "--dim", "5", "--hidden", "2", "--samples", "40000", "--seed", "3", "--out", data, "--quiet").Succeeded();
        return data;
    }

    private static string[] Learn(string data, string model) =>
        ["learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--no-refine", "--mode", "full-rank",
            "--out", model, "--quiet"];

    [Fact]
    public void ASuccessfulRunLeavesOneProfileAndTheReplayWritesTheSameModel()
    {
        string data = Data(), profiles = Path.Combine(_dir.Path, "profiles");
        // the recording of a run killed two days ago is removed; one of a run that may still be going is left alone
        Directory.CreateDirectory(profiles);
        string abandoned = Path.Combine(profiles, "learn-0000000000000000.jitprofile.4242"), recent = abandoned + "3";
        File.WriteAllText(abandoned, "x");
        File.WriteAllText(recent, "x");
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddDays(-2));
        var first = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles }, Learn(data, _dir.File("first.json")));
        Assert.True(first.Code == 0, first.Error);
        Assert.False(File.Exists(abandoned));
        File.Delete(recent);
        string[] files = Directory.GetFiles(profiles).Select(Path.GetFileName).ToArray()!;
        Assert.True(files.Length == 1 && files[0].StartsWith("learn-", StringComparison.Ordinal) && files[0].EndsWith(".jitprofile",
            StringComparison.Ordinal), $"the folder holds {string.Join(", ", files)}");
        Assert.True(new FileInfo(Path.Combine(profiles, files[0])).Length > 0);

        // the second run compiles the recorded methods ahead of use: the same code, the same model file
        var second = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles }, Learn(data, _dir.File("second.json")));
        Assert.True(second.Code == 0, second.Error);
        Assert.Equal(File.ReadAllBytes(_dir.File("first.json")), File.ReadAllBytes(_dir.File("second.json")));
        Assert.Equal(files, Directory.GetFiles(profiles).Select(Path.GetFileName).ToArray());

        // a profile that is not one (damaged, truncated) is ignored by the runtime and replaced by this run's
        string profile = Path.Combine(profiles, files[0]);
        var garbage = new byte[4096];
        new Random(5).NextBytes(garbage);
        File.WriteAllBytes(profile, garbage);
        var third = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles }, Learn(data, _dir.File("third.json")));
        Assert.True(third.Code == 0, third.Error);
        Assert.Equal(File.ReadAllBytes(_dir.File("first.json")), File.ReadAllBytes(_dir.File("third.json")));
        Assert.NotEqual(garbage, File.ReadAllBytes(profile));
    }

    [Fact]
    public void ARunUnderOtherCodeGenerationSettingsKeepsAProfileOfItsOwn()
    {
        // a tiered run records tier-0 methods that a run of the tool's own settings never compiles: its profile has another name
        string data = Data(), profiles = Path.Combine(_dir.Path, "profiles");
        string[] Profiles() => Directory.GetFiles(profiles).Select(f => Path.GetFileName(f)!).ToArray();
        var plain = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles, ["DOTNET_TieredCompilation"] = "0" },
            Learn(data, _dir.File("plain.json")));
        Assert.True(plain.Code == 0, plain.Error);
        string[] first = Profiles();
        var tiered = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles, ["DOTNET_TieredCompilation"] = "1" },
            Learn(data, _dir.File("tiered.json")));
        Assert.True(tiered.Code == 0, tiered.Error);
        string[] second = Profiles();
        Assert.Single(first);
        Assert.Single(second); // the other settings' profile is not read again, so it goes
        Assert.NotEqual(first[0], second[0]);
    }

    [Fact]
    public void FailedRunsAndTheSwitchLeaveNoProfile()
    {
        string data = Data(), profiles = Path.Combine(_dir.Path, "profiles");
        var off = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles, ["RELUFAST_JIT_PROFILE"] = "off" },
            Learn(data, _dir.File("off.json")));
        Assert.True(off.Code == 0, off.Error);
        Assert.False(Directory.Exists(profiles) && Directory.EnumerateFileSystemEntries(profiles).Any());

        var failed = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = profiles },
            ["learn", "--x", _dir.File("missing.npy"), "--y", Path.Combine(data, "y.npy"), "--out", _dir.File("failed.json")]);
        Assert.Equal(1, failed.Code);
        Assert.StartsWith("error: ", failed.Error);
        Assert.Empty(Directory.GetFiles(profiles));
    }

    [Fact]
    public void AnUnusableFolderLeavesTheCommandAsItWas()
    {
        // the "folder" is a file: it can be neither created nor written
        string data = Data(), blocker = _dir.File("not-a-folder");
        File.WriteAllText(blocker, "x");
        var run = RunProcess(new() { ["RELUFAST_JIT_PROFILE_DIR"] = blocker }, Learn(data, _dir.File("model.json")));
        Assert.True(run.Code == 0, run.Error);
        Assert.Equal(string.Empty, run.Error);
        Assert.True(File.Exists(_dir.File("model.json")));
        Assert.Equal("x", File.ReadAllText(blocker));
    }

    private static (int Code, string Output, string Error) RunProcess(Dictionary<string, string> environment, string[] args) =>
        ToolProcess.Run(args, environment);
}
