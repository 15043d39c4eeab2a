using System.Globalization;
using Spectre.Console;

namespace ReluFast.Cli.Infrastructure;

/// <summary>The Spectre tables of the T_2 spectrum and of the flattened [T_4, T_5] spectrum, shared by <c>learn</c> and <c>diagnose</c>.</summary>
internal static class SpectrumTables
{
    /// <summary>
    /// Eigenvalues of T_2 (by decreasing |value|) against its noise floor. With <paramref name="cut"/> the first
    /// <paramref name="cut"/> rows are marked as neurons (full-rank learner); without it, the rows above
    /// <paramref name="multiple"/> x the floor are marked as significant.
    /// </summary>
    public static Table SecondMoment(IReadOnlyList<double> spectrum, double noiseFloor, double multiple, int? cut)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new Table
        {
            Border = TableBorder.Rounded,
            Title = new TableTitle(Markup.Escape(string.Create(inv,
                $"T_2 spectrum (noise floor {noiseFloor:G3}, threshold {multiple:G3} x floor = {multiple * noiseFloor:G3})"))),
        };
        table.AddColumn(new TableColumn("k").RightAligned());
        table.AddColumn(new TableColumn("eigenvalue").RightAligned());
        table.AddColumn(new TableColumn("|value| / noise floor").RightAligned());
        table.AddColumn("");
        int significant = spectrum.Count(v => Math.Abs(v) > multiple * noiseFloor);
        int shown = Math.Min(spectrum.Count, Math.Max((cut ?? significant) + 4, 8));
        for (int k = 0; k < shown; k++)
        {
            double v = spectrum[k];
            string mark = cut is int m
                ? (k < m ? "neuron" : k == m ? "[grey]-- cut at m --[/]" : "")
                : (Math.Abs(v) > multiple * noiseFloor ? "significant" : "");
            table.AddRow((k + 1).ToString(inv), v.ToString("G4", inv), (Math.Abs(v) / Math.Max(noiseFloor, 1e-300)).ToString("F1", inv), mark);
        }
        if (shown < spectrum.Count) table.AddRow("...", "", "", "");
        return table;
    }

    /// <summary>
    /// Singular values of the stacked flattened [T_4, T_5(g_1), T_5(g_2)] against their split-half noise floor; the first
    /// <paramref name="cut"/> rows are marked as neurons. With <paramref name="residualFloors"/> (the floor left after the
    /// first k singular vectors, the one m is counted against) it gets a column for them.
    /// </summary>
    public static Table Flattened(IReadOnlyList<double> values, double noiseFloor, IReadOnlyList<double>? residualFloors, int cut,
        string? samples = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new Table
        {
            Border = TableBorder.Rounded,
            Title = new TableTitle(Markup.Escape(string.Create(inv,
                $"flattened [T_4, T_5(g_1), T_5(g_2)] singular values (split-half noise floor {noiseFloor:G3}{samples})"))),
        };
        table.AddColumn(new TableColumn("k").RightAligned());
        table.AddColumn(new TableColumn("singular value").RightAligned());
        table.AddColumn(new TableColumn("/ noise floor").RightAligned());
        bool residual = residualFloors is { Count: > 0 };
        if (residual) table.AddColumn(new TableColumn("floor left by 1..k-1").RightAligned());
        table.AddColumn("");
        int shown = Math.Min(values.Count, Math.Max(cut + 4, 8));
        for (int k = 0; k < shown; k++)
        {
            var cells = new List<string>
            {
                (k + 1).ToString(inv),
                values[k].ToString("G4", inv),
                (values[k] / Math.Max(noiseFloor, 1e-300)).ToString("F1", inv),
            };
            if (residual) cells.Add(k < residualFloors!.Count ? residualFloors[k].ToString("G3", inv) : "");
            cells.Add(k < cut ? "neuron" : k == cut ? "[grey]-- cut at m --[/]" : "");
            table.AddRow(cells.ToArray());
        }
        if (shown < values.Count) table.AddRow(Enumerable.Repeat("", residual ? 5 : 4).Select((_, i) => i == 0 ? "..." : "").ToArray());
        return table;
    }
}
