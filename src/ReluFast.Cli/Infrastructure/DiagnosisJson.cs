using System.Text.Json;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The <c>relufast diagnose --json</c> object: the spectra behind the mode, the estimated m, and (after learning)
/// sigma_min(W), sigma_min of the flattened factors, the smallest |c_k(b_i)| for k = 2..5, the held-out error and
/// every warning. Values that were not computed are <c>null</c> (arrays empty).
/// </summary>
internal static class DiagnosisJson
{
    /// <summary>Writes the fields of <paramref name="diagnosis"/> into the current JSON object.</summary>
    public static void Write(Utf8JsonWriter w, Diagnosis diagnosis)
    {
        var report = diagnosis.Report;
        var decision = report.Decision;
        w.WriteNumber("samples", report.Samples);
        InputSummary.Write(w, report.Inputs);
        w.WriteString("mode", diagnosis.Mode);
        w.WriteString("requestedMode", ModeOption.Name(diagnosis.Requested));
        w.WriteString("modeReason", diagnosis.ModeReason);
        Array(w, "secondMomentSpectrum", decision.SecondMomentSpectrum);
        JsonNumbers.Write(w, "secondMomentNoiseFloor", decision.SecondMomentNoiseFloor);
        JsonNumbers.Write(w, "secondMomentThreshold", diagnosis.SecondMomentThreshold);
        w.WriteNumber("secondMomentRank", decision.SecondMomentRank);
        Array(w, "flattenedSpectrum", decision.FlattenedSpectrum);
        JsonNumbers.Write(w, "flattenedNoiseFloor", decision.FlattenedNoiseFloor);
        Array(w, "flattenedResidualFloors", decision.FlattenedResidualFloors);
        if (decision.FlattenedRank >= 0) w.WriteNumber("flattenedRank", decision.FlattenedRank);
        else w.WriteNull("flattenedRank");
        w.WriteNumber("flattenedSamples", decision.FlattenedSamples);
        w.WriteNumber("estimatedHidden", report.EstimatedHidden);
        w.WriteString("estimatedHiddenSource", diagnosis.EstimatedHiddenSource);
        w.WriteBoolean("learned", report.Learned is not null);
        Nullable(w, "sigmaMinW", report.SigmaMinW);
        Nullable(w, "sigmaMinFlattened", report.SigmaMinFlattened);
        if (report.SmallestCoefficients.Count == 0) w.WriteNull("smallestCoefficients");
        else
        {
            w.WriteStartObject("smallestCoefficients");
            for (int k = 0; k < report.SmallestCoefficients.Count; k++) JsonNumbers.Write(w, $"c{k + 2}", report.SmallestCoefficients[k]);
            w.WriteEndObject();
        }
        Nullable(w, "heldOutMse", report.Learned?.HeldOutMse);
        JsonNumbers.Write(w, "relativeHeldOutMse", diagnosis.RelativeHeldOutMse);
        if (report.Learned?.Absorbed is string absorbed) w.WriteString("absorbed", absorbed);
        else w.WriteNull("absorbed");
        w.WriteStartArray("warnings");
        foreach (string warning in diagnosis.Warnings) w.WriteStringValue(warning);
        w.WriteEndArray();
        w.WriteStartArray("log");
        foreach (string line in report.Learned?.Log ?? []) w.WriteStringValue(line);
        w.WriteEndArray();
    }

    private static void Array(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
    {
        w.WriteStartArray(name);
        foreach (double v in values) JsonNumbers.Write(w, v);
        w.WriteEndArray();
    }

    private static void Nullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v) JsonNumbers.Write(w, name, v);
        else w.WriteNull(name);
    }
}
