using ReluFast.Decomposition;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>A test that reads the dynamic loader's trace (glibc's LD_DEBUG): Linux only, skipped elsewhere with the reason.</summary>
public sealed class LinuxLoaderFactAttribute : FactAttribute
{
    public LinuxLoaderFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "reads glibc's LD_DEBUG trace of the libraries a process loads: Linux only";
    }
}

/// <summary>
/// Issue 16, item 4 ("no fixed cost a user waits for"): a learning run whose dense problems are all small enough for the managed
/// linear algebra (<see cref="DenseBackend"/>) never loads libtorch, whose load alone costs about 0.5 s of CPU. Each command runs
/// the built relufast in a fresh process under LD_DEBUG=files, which makes glibc's loader name every shared library it maps;
/// <c>relufast info</c>, which asks for libtorch's version, shows that the trace does see libtorch when it is loaded.
/// </summary>
public sealed class NoLibTorchTests : IDisposable
{
    private const string LibTorch = "libtorch_cpu";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [LinuxLoaderFact]
    public void SmallLearningRunsNeverLoadLibTorch()
    {
        // (d, m) = (6, 3): every dense problem is far below the managed limits (T_2 6 x 6, the pencil 3 x 3, the flattened
        // moments of the auto mode 21 x 21, the Fisher information of a noisy fit 31 x 31)
        string clean = Path.Combine(_dir.Path, "clean"), noisy = Path.Combine(_dir.Path, "noisy");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "60000", "--seed", "4", "--out", clean, "--quiet").Succeeded();
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "60000", "--seed", "4", "--noise", "0.05", "--out", noisy, "--quiet")
            .Succeeded();
        string[][] runs =
        [
            ["learn", "--x", Path.Combine(clean, "x.npy"), "--y", Path.Combine(clean, "y.npy"), "--no-refine", "--mode", "full-rank"],
            ["learn", "--x", Path.Combine(clean, "x.npy"), "--y", Path.Combine(clean, "y.npy")],
            ["learn", "--x", Path.Combine(noisy, "x.npy"), "--y", Path.Combine(noisy, "y.npy")],
        ];
        for (int k = 0; k < runs.Length; k++)
        {
            var (code, error) = RunTraced([.. runs[k], "--out", _dir.File($"model-{k}.json"), "--quiet"]);
            string[] loads = error.Split('\n').Where(line => line.Contains(LibTorch, StringComparison.Ordinal)).Take(3).ToArray();
            Assert.True(code == 0, $"relufast {string.Join(' ', runs[k])} exited with {code}:\n{Tail(error)}");
            Assert.True(loads.Length == 0, $"relufast {string.Join(' ', runs[k])} loaded libtorch:\n{string.Join('\n', loads)}");
            Assert.True(File.Exists(_dir.File($"model-{k}.json")));
        }
    }

    [LinuxLoaderFact]
    public void TheModeCheckAtSixteenInputsStaysManaged()
    {
        // (d, m) = (16, 8): T_2 shows 8 of 16 directions, so auto runs the flattened check, whose spectra are D x D with D = 136,
        // beyond the general managed order (128): they used to load libtorch for a run that needs it nowhere else
        string data = Path.Combine(_dir.Path, "d16");
        Cli.Run("generate", "--dim", "16", "--hidden", "8", "--samples", "60000", "--seed", "5", "--out", data, "--quiet").Succeeded();
        var (code, error) = RunTraced(["learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--no-refine",
            "--out", _dir.File("model-d16.json"), "--quiet"]);
        string[] loads = error.Split('\n').Where(line => line.Contains(LibTorch, StringComparison.Ordinal)).Take(3).ToArray();
        Assert.True(code == 0, $"relufast learn exited with {code}:\n{Tail(error)}");
        Assert.True(loads.Length == 0, $"the mode check at d = 16 loaded libtorch:\n{string.Join('\n', loads)}");
    }

    [LinuxLoaderFact]
    public void TheTraceSeesLibTorchWhereItIsLoaded()
    {
        var (code, error) = RunTraced(["info"]);
        Assert.Equal(0, code);
        Assert.Contains(LibTorch, error);
    }

    /// <summary>Runs the built relufast with LD_DEBUG=files; returns its exit code and stderr.</summary>
    private static (int Code, string Error) RunTraced(string[] args)
    {
        var (code, _, error) = ToolProcess.Run(args, new Dictionary<string, string> { ["LD_DEBUG"] = "files" });
        return (code, error);
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
