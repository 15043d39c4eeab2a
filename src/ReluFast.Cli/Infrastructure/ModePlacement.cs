using ReluFast.Interop;
using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The mode a <c>relufast learn</c> run gets where it runs. The overcomplete learner
/// (<see cref="OvercompleteLearner"/>) runs on this process's CPU over every sample: it ignores
/// <see cref="LearnerOptions.Device"/> and <see cref="LearnerOptions.Reducer"/>, and so does the mode check
/// (<see cref="ReluLearner.ChooseMode"/>). So with <c>--device cuda</c> or more than one MPI rank, forcing it
/// (or asking for m &gt; d) is an error, and <c>auto</c> runs the full-rank learner without the check. With
/// <c>--hidden</c> given, <c>auto</c> decides from m alone (m &gt; d: overcomplete), which saves the check's passes.
/// </summary>
internal static class ModePlacement
{
    /// <summary>
    /// The mode to hand the library (Auto only when the data must decide) and, when the CLI decided instead, the line
    /// that starts the learning log (<c>mode: ... (reason)</c>, the form <see cref="ReluLearner.Learn{T}"/> logs).
    /// </summary>
    /// <exception cref="CliUsageException">The overcomplete learner is forced (or m &gt; d asked for) on CUDA or over several MPI ranks.</exception>
    public static (LearnerMode Mode, string? LogLine) Resolve(LearnerMode requested, int? hidden, int inputDim, ComputeDevice device, int ranks)
    {
        string? where = device.Kind != ComputeDeviceKind.Cpu
            ? $"--device {device}"
            : ranks > 1 ? $"mpirun with {ranks} ranks" : null;
        bool wantsOvercomplete = requested == LearnerMode.Overcomplete || (requested == LearnerMode.Auto && hidden > inputDim);
        if (where is not null && wantsOvercomplete)
            throw new CliUsageException(
                (requested == LearnerMode.Overcomplete ? "--mode overcomplete" : $"--hidden {hidden} > d = {inputDim} (the overcomplete learner)") +
                $" cannot run with {where}: the overcomplete learner runs on the CPU of a single process only; run it without " +
                (device.Kind != ComputeDeviceKind.Cpu ? "--device" : "mpirun") + ".");
        if (requested != LearnerMode.Auto) return (requested, null);
        if (hidden is int m)
        {
            var mode = m > inputDim ? LearnerMode.Overcomplete : LearnerMode.FullRank;
            return (mode, $"mode: {mode} (m = {m} was given ({(m > inputDim ? ">" : "<=")} d = {inputDim}); no mode check was run)");
        }
        if (where is not null)
            return (LearnerMode.FullRank, $"mode: {LearnerMode.FullRank} (auto with {where}: the overcomplete learner and its mode check run on the CPU of a single process only, so the check was skipped and the full-rank learner runs; for m > d run --mode overcomplete without {(device.Kind != ComputeDeviceKind.Cpu ? "--device" : "mpirun")})");
        return (LearnerMode.Auto, null);
    }
}
