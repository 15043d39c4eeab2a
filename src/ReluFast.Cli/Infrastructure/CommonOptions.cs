using System.CommandLine;

namespace ReluFast.Cli.Infrastructure;

/// <summary>The options several commands share, created fresh for each command.</summary>
internal static class CommonOptions
{
    /// <summary><c>--quiet</c>: print nothing but errors (and the JSON when <c>--json</c> is given).</summary>
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print nothing but errors (no summary, no progress bars)." };

    /// <summary><c>--json</c>: one JSON object on standard output instead of the human-readable summary.</summary>
    public static Option<bool> Json(string what) => new("--json") { Description = $"Print {what} as one JSON object on standard output " +
        "(no progress bars)." };

    /// <summary><c>--seed</c> of the learner's random choices (contractions g, pencil slices u, rank-one starts).</summary>
    public static Option<ulong> LearnerSeed() => new("--seed") { Description = "Seed of the learner's random choices " +
        "(contractions g, pencil slices u, rank-one search starts).", DefaultValueFactory = _ => 1 };

    /// <summary>--assume-gaussian: learn even when the input pass finds marginals that are not Gaussian.</summary>
    public static Option<bool> AssumeGaussian() => new("--assume-gaussian")
    {
        Description = "Learn even when the inputs fail the Gaussianity test (marginal skewness or kurtosis beyond tolerance and " +
            "beyond their sampling error); the method of moments assumes Gaussian inputs, so check the held-out error.",
    };

    /// <summary><c>--threads</c>: worker threads of the moment passes and of refinement.</summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads of the moment passes and of refinement (0: all processors); the network is the same bits for " +
            "every count.",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>The value of a <see cref="Threads"/> option.</summary>
    /// <exception cref="CliUsageException">It is negative or over <see cref="Learning.LearnerOptions.MaxThreads"/>.</exception>
    public static int GetThreads(ParseResult parse, Option<int> threads)
    {
        int count = parse.GetValue(threads);
        return Learning.LearnerRules.ThreadsProblem(count) is string problem ? throw new CliUsageException("--threads " + problem) : count;
    }

    /// <summary>The <c>--refine-samples</c> option of the learning commands (<see cref="Learning.LearnerOptions.RefinementSamples"/>).</summary>
    public static Option<int?> RefinementSamples() => new("--refine-samples")
    {
        Description = "Samples (the first ones; held in memory as doubles, 8 (d + 1) bytes each) on which L-BFGS refinement fits the " +
            "network. Default 100000, one per parameter at d = 784, m = 128: a network with p = m (d + 2) + d + 1 parameters wants " +
            "several per parameter.",
    };

    /// <summary>The value of a <see cref="RefinementSamples"/> option (the learner's default when absent).</summary>
    /// <exception cref="CliUsageException">It is zero or negative.</exception>
    public static int GetRefinementSamples(ParseResult parse, Option<int?> option) => parse.GetValue(option) switch
    {
        null => new Learning.LearnerOptions().RefinementSamples,
        > 0 and int count => count,
        int count => throw new CliUsageException($"--refine-samples must be positive, got {count}."),
    };

    /// <summary>The value of a <c>--hidden</c> option (null: choose m from the data).</summary>
    /// <exception cref="CliUsageException">It is zero or negative.</exception>
    public static int? GetHidden(ParseResult parse, Option<int?> hidden)
    {
        int? m = parse.GetValue(hidden);
        return m is <= 0 ? throw new CliUsageException($"--hidden must be positive, got {m}.") : m;
    }

    /// <summary>A required file option whose value is a path.</summary>
    public static Option<string> RequiredPath(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>An optional file option whose value is a path.</summary>
    public static Option<string?> OptionalPath(string name, string description) => new(name) { Description = description };
}
