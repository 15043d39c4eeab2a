using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// One overcomplete data set shared by the CLI mode and diagnose tests (written once: 10^6 samples of a d = 5, m = 8
/// teacher with b in [-1, 1], noiseless, by <c>relufast generate</c>; seed 3). At this size the mode check sees more than d
/// singular values above the floor and the overcomplete learner recovers the teacher to ~1e-9 in about 3 s.
/// </summary>
public sealed class OvercompleteSamples : IDisposable
{
    /// <summary>Input dimension.</summary>
    public const int Dimension = 5;

    /// <summary>Neurons of the teacher.</summary>
    public const int Hidden = 8;

    private readonly TempDirectory _dir = new();

    public OvercompleteSamples()
    {
        Folder = Path.Combine(_dir.Path, "overcomplete");
        Cli.Run("generate", "--dim", "5", "--hidden", "8", "--samples", "1000000", "--seed", "3", "--bias-range", "1", "--out", Folder, "--quiet")
            .Succeeded();
    }

    /// <summary>The folder with x.npy, y.npy and teacher.json.</summary>
    public string Folder { get; }

    /// <summary>x.npy.</summary>
    public string X => Path.Combine(Folder, "x.npy");

    /// <summary>y.npy.</summary>
    public string Y => Path.Combine(Folder, "y.npy");

    /// <summary>teacher.json.</summary>
    public string Teacher => Path.Combine(Folder, "teacher.json");

    public void Dispose() => _dir.Dispose();
}

/// <summary>The test classes that share <see cref="OvercompleteSamples"/> (they run one after the other).</summary>
[CollectionDefinition(Name)]
public sealed class OvercompleteSamplesCollection : ICollectionFixture<OvercompleteSamples>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "CLI overcomplete samples";
}
