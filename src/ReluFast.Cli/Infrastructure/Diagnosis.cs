using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// What <c>relufast diagnose</c> prints, derived from an <see cref="IdentifiabilityReport"/>: the mode with its reason, the
/// T_2 threshold, where the estimated m comes from, and every warning (the report's, then the learner's own).
/// </summary>
internal sealed class Diagnosis
{
    /// <summary>Builds the view of <paramref name="report"/>.</summary>
    /// <param name="report">The library's report.</param>
    /// <param name="requested">The <c>--mode</c> given.</param>
    /// <param name="noiseFloorMultiple">Eigenvalues / singular values above this many times their floor count.</param>
    public Diagnosis(IdentifiabilityReport report, LearnerMode requested, double noiseFloorMultiple)
    {
        Report = report;
        Requested = requested;
        SecondMomentThreshold = noiseFloorMultiple * report.Decision.SecondMomentNoiseFloor;
        var warnings = new List<string>(report.Warnings);
        if (report.Learned is not null)
            foreach (var warning in report.Learned.Warnings)
                if (!warnings.Contains(warning.Message)) warnings.Add("learner: " + warning.Message);
        Warnings = warnings;
    }

    /// <summary>The library's report.</summary>
    public IdentifiabilityReport Report { get; }

    /// <summary>The <c>--mode</c> given.</summary>
    public LearnerMode Requested { get; }

    /// <summary>The mode the data call for (or the forced one), by its CLI name.</summary>
    public string Mode => ModeOption.Name(Report.Decision.Mode);

    /// <summary>Why that mode.</summary>
    public string ModeReason => Report.Decision.Reason;

    /// <summary>The T_2 eigenvalues above this count as neurons (multiple x noise floor).</summary>
    public double SecondMomentThreshold { get; }

    /// <summary>Where <see cref="IdentifiabilityReport.EstimatedHidden"/> comes from.</summary>
    public string EstimatedHiddenSource => Report.Learned is not null ? "neurons in the learned network"
        : Report.Decision.Mode == LearnerMode.Overcomplete && Report.Decision.FlattenedRank >= 0
            ? "significant singular values of the flattened [T_4, T_5]"
        : Report.Decision.SuggestedHidden is not null ? "significant singular values of the flattened [T_4, T_5]; T_2 undercounts"
        : "significant eigenvalues of T_2";

    /// <summary>Held-out MSE of the learned network relative to Var y (NaN without one).</summary>
    public double RelativeHeldOutMse => Report.Learned is { } r ? r.HeldOutMse / Math.Max(r.HeldOutVariance, 1e-300) : double.NaN;

    /// <summary>Every warning with its reason: the report's, then the learner's own (prefixed <c>learner:</c>).</summary>
    public IReadOnlyList<string> Warnings { get; }
}
