using System.Globalization;
using System.Text.Json;
using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>The input pass's findings (<see cref="InputReport"/>) as one summary line and as a JSON object, for learn and diagnose.</summary>
internal static class InputSummary
{
    /// <summary>"Inputs: ..." for the summary, or null when the pass did not run.</summary>
    public static string? Line(InputReport? report)
    {
        if (report is null) return null;
        var inv = CultureInfo.InvariantCulture;
        double meanNorm = Math.Sqrt(report.Mean.Sum(v => v * v));
        string law = report.Whitened
            ? string.Create(inv, $"N(mu, Sigma) with |mu| = {meanNorm:G3}, condition number {report.ConditionNumber:G3}") +
              (report.Rank < report.Dimension ? string.Create(inv, $", varying in {report.Rank} of {report.Dimension} directions") : "") +
              ": learned in whitened coordinates, the network mapped back to x"
            : string.Create(inv, $"consistent with N(0, I) (largest deviation {report.StandardStatistic:G3} standard errors)");
        return string.Create(inv, $"Inputs: {law}; marginals: max |skewness| {Math.Abs(report.LargestSkewness):G2}, max |excess kurtosis| ") +
            string.Create(inv, $"{Math.Abs(report.LargestExcessKurtosis):G2} (sampling errors {report.SkewnessError:G2}, {report.KurtosisError:G2}") +
            (report.Gaussian ? ")" : "): NOT GAUSSIAN");
    }

    /// <summary>Writes "inputs": {...} (null when the pass did not run).</summary>
    public static void Write(Utf8JsonWriter w, InputReport? report)
    {
        if (report is null)
        {
            w.WriteNull("inputs");
            return;
        }
        w.WriteStartObject("inputs");
        w.WriteBoolean("whitened", report.Whitened);
        w.WriteNumber("rank", report.Rank);
        JsonNumbers.Write(w, "conditionNumber", report.ConditionNumber);
        w.WriteStartArray("mean");
        foreach (double v in report.Mean) JsonNumbers.Write(w, v);
        w.WriteEndArray();
        w.WriteStartArray("covarianceEigenvalues");
        foreach (double v in report.CovarianceEigenvalues) JsonNumbers.Write(w, v);
        w.WriteEndArray();
        JsonNumbers.Write(w, "standardStatistic", report.StandardStatistic);
        JsonNumbers.Write(w, "standardThreshold", report.StandardThreshold);
        JsonNumbers.Write(w, "largestSkewness", report.LargestSkewness);
        JsonNumbers.Write(w, "largestExcessKurtosis", report.LargestExcessKurtosis);
        JsonNumbers.Write(w, "skewnessError", report.SkewnessError);
        JsonNumbers.Write(w, "kurtosisError", report.KurtosisError);
        w.WriteBoolean("gaussian", report.Gaussian);
        w.WriteNumber("marginalsTested", report.Marginals);
        w.WriteEndObject();
    }
}
