using ReluFast.Tests.Cli;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Corpus;

/// <summary>The corpus runs alone: its memory bound reads the process's allocation counter.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CorpusCollection
{
    public const string Name = "Adversarial corpus";
}

/// <summary>
/// Runs <c>relufast</c> on every case of <see cref="AdversarialCorpus"/> (issue 18): the expected exit code, one
/// <c>error:</c> line naming the file and the problem (or the correct answer), no stack trace, no output file nor
/// temporary file left, an answer at all (a hang fails after <see cref="HangLimit"/>, far above the 5 s aimed at, so
/// that the test does not time anything), and at most <see cref="AllocationLimit"/> bytes allocated.
/// </summary>
[Collection(CorpusCollection.Name)]
public class CorpusTests
{
    /// <summary>A run still going after this is a hang.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(120);

    /// <summary>The managed memory a case may allocate (issue 18: 300 MB beyond the runtime).</summary>
    private const long AllocationLimit = 300L << 20;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in AdversarialCorpus.Cases()) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task EachCaseAnswersAsExpected(string name)
    {
        var c = AdversarialCorpus.Cases().Single(k => k.Name == name);
        using var dir = new TempDirectory();
        c.Make(dir.Path);
        var before = Snapshot(dir.Path);
        string[] args = c.ArgsIn(dir.Path);

        GC.Collect();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var run = Task.Run(() => Cli.Cli.Run(args));
        Assert.True(await Task.WhenAny(run, Task.Delay(HangLimit)) == run, $"{name}: no answer after {HangLimit.TotalSeconds} s");
        CliRun result = await run;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;

        string context = $"{name}: relufast {string.Join(' ', args)}\nexit {result.ExitCode}\nstdout:\n{result.Output}\nstderr:\n{result.Error}";
        Assert.True(result.ExitCode == c.ExitCode, context);
        result.NoStackTrace();
        if (c.ExitCode == 1)
        {
            string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), context);
            foreach (string fragment in c.Expect) Assert.True(result.Error.Contains(fragment, StringComparison.Ordinal),
                $"'{fragment}' missing\n{context}");
            Assert.Equal(before, Snapshot(dir.Path));
        }
        else
        {
            foreach (string fragment in c.Expect) Assert.True(result.Output.Contains(fragment, StringComparison.Ordinal),
                $"'{fragment}' missing\n{context}");
            Assert.DoesNotContain(Snapshot(dir.Path), f => f.EndsWith(".partial", StringComparison.Ordinal));
        }
        Assert.True(allocated <= AllocationLimit, $"{name}: allocated {allocated >> 20} MB, over {AllocationLimit >> 20} MB");
    }

    [Fact]
    public void TheCorpusCanBeWrittenOutForRunsByHand()
    {
        using var dir = new TempDirectory();
        string root = Environment.GetEnvironmentVariable("RELUFAST_CORPUS_DIR") is { Length: > 0 } chosen ? chosen : dir.Path;
        AdversarialCorpus.WriteTo(root);
        Assert.Equal(AdversarialCorpus.Cases().Count(), Directory.GetDirectories(root).Length);
    }

    private static string[] Snapshot(string dir) =>
        Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(dir, p))
            .Order(StringComparer.Ordinal).ToArray();
}
