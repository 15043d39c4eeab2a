using ReluFast.Decomposition;
using ReluFast.Interop;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// The rules every entry point applies before learning (the CLI and the C ABI call these instead of copies): the sample
/// minimum and the largest m of each mode, the option ranges, and where each learner can run.
/// </summary>
public static class LearnerRules
{
    /// <summary>Fewest samples the full-rank learner (and the mode check) accept for input dimension d: max(1000, 2 d^2).</summary>
    public static long MinimumSamples(int inputDim) => Math.Max(1000, 2L * inputDim * inputDim);

    /// <summary>Fewest samples the overcomplete learner accepts: max(1000, 2 d^2, 4 D^2), D = d(d+1)/2.</summary>
    public static long OvercompleteMinimumSamples(int inputDim) =>
        Math.Max(MinimumSamples(inputDim), 4L * SymmetricCoordinates.Dimension(inputDim) * SymmetricCoordinates.Dimension(inputDim));

    /// <summary>Largest m the flattening can identify for input dimension d: D = d(d+1)/2.</summary>
    public static int MaximumHidden(int inputDim) => SymmetricCoordinates.Dimension(inputDim);

    /// <summary>
    /// What is wrong with a thread count (0: all processors, else 1 to <see cref="LearnerOptions.MaxThreads"/>), as the end of a
    /// sentence that the caller starts with the setting's name (Threads, --threads, options->threads); null when it is fine.
    /// </summary>
    internal static string? ThreadsProblem(int threads) => threads is >= 0 and <= LearnerOptions.MaxThreads ? null
        : $"must be 0 (all processors) or 1 to {LearnerOptions.MaxThreads}, got {threads}.";

    /// <summary>
    /// Checks that <paramref name="samples"/> samples of dimension <paramref name="inputDim"/> suit the learner in
    /// <paramref name="mode"/> with <paramref name="options"/> (Auto: the full-rank minimum, m &lt;= d(d+1)/2, and the
    /// overcomplete minimum when a given m &gt; d selects it).
    /// </summary>
    /// <exception cref="ArgumentException">Too few samples, m out of range, or an option out of range; the message names it.</exception>
    /// <exception cref="LearnerPlacementException">The overcomplete learner on a device or over several processes.</exception>
    public static void Check(int inputDim, long samples, LearnerOptions options, LearnerMode mode)
    {
        ArgumentNullException.ThrowIfNull(options);
        int d = inputDim;
        if (d <= 0) throw new ArgumentException($"The input dimension is {d}: samples need at least one coordinate.");
        if (samples < MinimumSamples(d))
            throw new ArgumentException($"too few samples: {samples} given, the learner needs at least {MinimumSamples(d)} for d = {d} inputs " +
                "(max(1000, 2 d^2)).");
        if (mode == LearnerMode.Auto && options.Hidden > d) mode = LearnerMode.Overcomplete;
        if (mode == LearnerMode.Overcomplete && samples < OvercompleteMinimumSamples(d))
            throw new ArgumentException($"too few samples for the overcomplete learner: {samples} given, it needs at least " +
                $"{OvercompleteMinimumSamples(d)} for d = {d} inputs (max(1000, 2 d^2, 4 D^2), D = d(d+1)/2 = {MaximumHidden(d)}).");
        if (options.Hidden is int m)
        {
            if (m <= 0) throw new LearnerOptionException(nameof(LearnerOptions.Hidden), $"the number of hidden neurons must be positive, got {m}.");
            if (m > MaximumHidden(d))
                throw new LearnerOptionException(nameof(LearnerOptions.Hidden), $"m = {m} is larger than d(d+1)/2 = {MaximumHidden(d)} " +
                    $"for d = {d} inputs: " +
                    "even the overcomplete learner separates at most d(d+1)/2 neurons (the flattened fourth-order moment cannot separate more).");
            if (m > d && mode == LearnerMode.FullRank)
                throw new LearnerOptionException(nameof(LearnerOptions.Hidden), $"m = {m} > d = {d}: m > d in full-rank mode; the full-rank " +
                    "learner finds at most d neurons (use the overcomplete mode, or auto, for m > d).");
        }
        if (options.Restarts <= 0) throw new ArgumentException("Restarts must be positive.");
        if (options.RefinedCandidates <= 0) throw new ArgumentException("RefinedCandidates must be positive.");
        if (options.PencilTrials <= 0) throw new ArgumentException("PencilTrials must be positive.");
        if (options.PilotSamples <= 0 || options.RefinementSamples <= 0 || options.HeldOutSamples <= 0)
            throw new ArgumentException("PilotSamples, RefinementSamples and HeldOutSamples must be positive.");
        if (options.BlockSize <= 0) throw new ArgumentException("BlockSize must be positive.");
        if (ThreadsProblem(options.Threads) is string threads) throw new LearnerOptionException(nameof(LearnerOptions.Threads), "Threads " + threads);
        if (!(options.NoiseFloorMultiple > 0)) throw new ArgumentException("NoiseFloorMultiple must be positive.");
        if (options.OvercompleteRounds <= 0) throw new ArgumentException("OvercompleteRounds must be positive.");
        if (mode == LearnerMode.Overcomplete) RequireCpuSingleProcess(options, "the overcomplete learner");
    }

    /// <summary>Where the passes of <paramref name="options"/> run when not on this process's CPU ("CUDA device cuda:0"), or null.</summary>
    public static string? Placement(LearnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Device.Kind != ComputeDeviceKind.Cpu ? $"device {options.Device}"
            : options.Reducer is { Size: > 1 } reducer ? $"{reducer.Size} processes" : null;
    }

    /// <summary>Throws when <paramref name="options"/> place the run on a device or over several processes.</summary>
    /// <exception cref="LearnerPlacementException">They do.</exception>
    public static void RequireCpuSingleProcess(LearnerOptions options, string who)
    {
        if (Placement(options) is string where)
            throw new LearnerPlacementException($"{who} runs on the CPU of a single process only and cannot use the {where}; " +
                "run it without a device and without distribution, or use the full-rank learner (m <= d).");
    }
}
